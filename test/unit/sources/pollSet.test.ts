import { describe, expect, it } from 'vitest';
import { POLLFD_BYTES, POLLIN, PollSet } from '../../../src/sources/netlink/pollSet.js';

/** The struct pollfd entries of a begin() array: fd, events, revents. */
function entries(pollfds: Buffer, count: number): Array<[number, number, number]> {
  return Array.from({ length: count }, (_, i) => [pollfds.readInt32LE(i * POLLFD_BYTES), pollfds.readInt16LE(i * POLLFD_BYTES + 4), pollfds.readInt16LE(i * POLLFD_BYTES + 6)]);
}

/** What the kernel does on return: revents of the entry for `fd`. */
function setRevents(pollfds: Buffer, count: number, fd: number, revents: number): void {
  for (let i = 0; i < count; i++) if (pollfds.readInt32LE(i * POLLFD_BYTES) === fd) pollfds.writeInt16LE(revents, i * POLLFD_BYTES + 6);
}

describe('PollSet', () => {
  it('lays out one 8-byte struct pollfd per member, asking for POLLIN, revents cleared', () => {
    const set = new PollSet();
    for (const fd of [7, 12, 40]) set.add(fd);
    const { pollfds, count } = set.begin();
    expect(count).toBe(3);
    expect(entries(pollfds, count)).toEqual([
      [7, POLLIN, 0],
      [12, POLLIN, 0],
      [40, POLLIN, 0],
    ]);
    set.end();
    // A second poll on a reused buffer starts with revents cleared again.
    const again = set.begin();
    setRevents(again.pollfds, again.count, 12, POLLIN);
    set.end();
    const third = set.begin();
    expect(entries(third.pollfds, third.count).map(([, , r]) => r)).toEqual([0, 0, 0]);
  });

  it('reports the members whose revents the kernel set, POLLERR and POLLHUP included', () => {
    const set = new PollSet();
    for (const fd of [3, 4, 5]) set.add(fd);
    const { pollfds, count } = set.begin();
    setRevents(pollfds, count, 3, POLLIN);
    setRevents(pollfds, count, 5, 0x8); // POLLERR: a read says what it is
    expect(set.end()).toEqual({ ready: [3, 5], closable: [] });
  });

  it('holds back a descriptor removed during a poll until it returns, and never reports it ready', () => {
    const set = new PollSet();
    set.add(3);
    set.add(4);
    const { pollfds, count } = set.begin();
    expect(set.inFlight).toBe(true);
    expect(set.remove(4)).toBe(false); // the poll in flight holds it: not closable now
    expect(set.has(4)).toBe(false);
    expect(() => set.add(4)).toThrow(/not closed yet/);
    setRevents(pollfds, count, 3, POLLIN);
    setRevents(pollfds, count, 4, POLLIN);
    expect(set.end()).toEqual({ ready: [3], closable: [4] });
    expect(set.inFlight).toBe(false);
    expect(set.begin().count).toBe(1);
  });

  it('lets a descriptor go at once when no poll is in flight, or when the poll in flight never had it', () => {
    const set = new PollSet();
    set.add(3);
    expect(set.remove(3)).toBe(true);
    expect(set.remove(3)).toBe(false); // not a member: nothing to close
    set.add(5);
    set.begin();
    set.add(6); // joins the next poll, not this one
    expect(set.remove(6)).toBe(true);
    expect(set.end()).toEqual({ ready: [], closable: [] });
  });

  it('adds members for the next poll only, and refuses a second poll in flight or an end without one', () => {
    const set = new PollSet();
    set.add(3);
    set.begin();
    set.add(9);
    expect(() => set.begin()).toThrow(/already in flight/);
    set.end();
    expect(() => set.end()).toThrow(/no poll in flight/);
    const next = set.begin();
    expect(entries(next.pollfds, next.count).map(([fd]) => fd)).toEqual([3, 9]);
  });

  it('grows its array past its first size and refuses what is no descriptor', () => {
    const set = new PollSet();
    for (let fd = 10; fd < 110; fd++) set.add(fd);
    const { pollfds, count } = set.begin();
    expect(count).toBe(100);
    expect(pollfds.length).toBeGreaterThanOrEqual(100 * POLLFD_BYTES);
    expect(entries(pollfds, count)[99]).toEqual([109, POLLIN, 0]);
    set.end();
    expect(() => set.add(-1)).toThrow(/not a descriptor/);
  });
});
