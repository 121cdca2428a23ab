import { describe, expect, it } from 'vitest';
import type { DatagramBatch, PollableEventSocket } from '../../../src/sources/netlink/libcNetlink.js';
import { NamespaceDestroyEvents } from '../../../src/sources/netlink/namespaceDestroyEvents.js';
import { POLLFD_BYTES, POLLIN } from '../../../src/sources/netlink/pollSet.js';
import { destroyMessage } from '../../helpers/netlinkMessages.js';

interface FakeSocket extends PollableEventSocket {
  queue: Buffer[];
  closed: boolean;
  dropped: number;
  failWith?: Error;
}

/**
 * Event sockets and a poll(2) that behave as the kernel's, on later event-loop turns as a pool
 * thread's would: a poll returns when a socket it waits on has datagrams queued (or after 5 ms
 * with none). Records what must never happen: two polls at once, or a socket closed while a poll
 * in flight holds its descriptor.
 */
function fakeKernel() {
  const sockets = new Map<string, FakeSocket>();
  const byFd = new Map<number, FakeSocket>();
  // Lengths per batch, whichever socket made it: as the real batches, any socket's works with any socket.
  const lengths = new Map<Buffer, number[]>();
  let nextFd = 100;
  let polling: number[] | null = null;
  const violations: string[] = [];
  let polls = 0;
  let maxCount = 0;

  const open = async (netnsPath: string): Promise<PollableEventSocket> => {
    if (netnsPath.includes('gone')) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    const fd = nextFd++;
    const s: FakeSocket = {
      fd,
      queue: [],
      closed: false,
      dropped: 0,
      newBatch(slots, slotBytes): DatagramBatch {
        const bytes = Buffer.alloc(slots * slotBytes);
        const own = new Array<number>(slots).fill(0);
        lengths.set(bytes, own);
        return { bytes, capacity: slots, offset: (i) => i * slotBytes, length: (i) => own[i]!, truncated: () => false };
      },
      receive: () => Promise.reject(new Error('a polled socket is never waited on alone')),
      receiveQueued(batch) {
        if (s.failWith) throw s.failWith;
        let n = 0;
        while (s.queue.length > 0 && n < batch.capacity) {
          const d = s.queue.shift()!;
          d.copy(batch.bytes, batch.offset(n));
          lengths.get(batch.bytes)![n] = d.length;
          n++;
        }
        return n;
      },
      drops: () => s.dropped,
      receiveBufferBytes: () => 4096,
      close() {
        if (polling?.includes(fd)) violations.push(`fd ${fd} closed during a poll`);
        s.closed = true;
      },
    };
    sockets.set(netnsPath, s);
    byFd.set(fd, s);
    return s;
  };

  const poll = (pollfds: Buffer, count: number): Promise<number> => {
    if (polling) violations.push('two polls at once');
    polls++;
    maxCount = Math.max(maxCount, count);
    const fds = Array.from({ length: count }, (_, i) => pollfds.readInt32LE(i * POLLFD_BYTES));
    polling = fds;
    return new Promise((resolve) => {
      const check = (waited: number): void => {
        let ready = 0;
        fds.forEach((fd, i) => {
          const s = byFd.get(fd)!;
          if (s.queue.length > 0 || s.failWith) {
            pollfds.writeInt16LE(POLLIN, i * POLLFD_BYTES + 6);
            ready++;
          }
        });
        if (ready > 0 || waited >= 5) {
          polling = null;
          resolve(ready);
        } else setTimeout(() => check(waited + 1), 1);
      };
      setTimeout(() => check(0), 1);
    });
  };

  return { open, poll, sockets, violations, polls: () => polls, maxCount: () => maxCount, polling: () => polling ?? [] };
}

const until = async (cond: () => boolean, what = 'condition'): Promise<void> => {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
};

const A = 4026532101;
const B = 4026532102;

function recorder() {
  const seen: Array<[number, number]> = [];
  return { seen, onEvent: (inode: number, s: { localPort: number }) => seen.push([inode, s.localPort]) };
}

describe('NamespaceDestroyEvents', () => {
  it('hands each event over with the namespace its socket was opened in, waiting on all sockets with one poll at a time', async () => {
    const k = fakeKernel();
    const r = recorder();
    const events = new NamespaceDestroyEvents(r.onEvent, { receiveBufferBytes: 4096 }, { open: k.open, poll: k.poll, pollTimeoutMs: 5 });
    await events.open(A, '/proc/10/ns/net');
    await events.open(B, '/proc/20/ns/net');
    await events.open(A, '/proc/11/ns/net'); // already open: no second socket
    expect(k.sockets.size).toBe(2);
    k.sockets.get('/proc/10/ns/net')!.queue.push(destroyMessage({ localPort: 1, remotePort: 9 }), destroyMessage({ localPort: 2, remotePort: 9 }));
    k.sockets.get('/proc/20/ns/net')!.queue.push(destroyMessage({ localPort: 3, remotePort: 9 }));
    await until(() => r.seen.length === 3, 'three events');
    expect(r.seen.sort()).toEqual([
      [A, 1],
      [A, 2],
      [B, 3],
    ]);
    expect(events.counts).toEqual({ datagrams: 3, truncated: 0, malformed: 0 });
    expect(k.maxCount()).toBe(2);
    await events.close();
    expect(k.violations).toEqual([]);
  });

  it('closes the socket of a namespace no longer kept only once the poll holding it has returned, and hears no more of it', async () => {
    const k = fakeKernel();
    const r = recorder();
    const events = new NamespaceDestroyEvents(r.onEvent, { receiveBufferBytes: 4096 }, { open: k.open, poll: k.poll, pollTimeoutMs: 5 });
    await events.open(A, '/proc/10/ns/net');
    await events.open(B, '/proc/20/ns/net');
    const b = k.sockets.get('/proc/20/ns/net')!;
    await until(() => k.polling().includes(b.fd), 'a poll in flight on both sockets');
    events.retain(new Set([A]));
    expect(events.has(B)).toBe(false);
    expect(b.closed).toBe(false); // the poll in flight still holds it
    await until(() => b.closed, 'the dropped socket to be closed');
    b.queue.push(destroyMessage({ localPort: 5, remotePort: 9 }));
    k.sockets.get('/proc/10/ns/net')!.queue.push(destroyMessage({ localPort: 6, remotePort: 9 }));
    await until(() => r.seen.length === 1, 'the kept namespace to be heard');
    expect(r.seen).toEqual([[A, 6]]);
    await events.close();
    expect(k.violations).toEqual([]);
  });

  it('closes a socket whose read fails, says so once, and keeps counting what its sockets lost across the replacement', async () => {
    const k = fakeKernel();
    const r = recorder();
    const events = new NamespaceDestroyEvents(r.onEvent, { receiveBufferBytes: 4096 }, { open: k.open, poll: k.poll, pollTimeoutMs: 5 });
    await events.open(A, '/proc/10/ns/net');
    const first = k.sockets.get('/proc/10/ns/net')!;
    first.dropped = 5;
    expect(events.lost(A)).toBe(5);
    first.failWith = new Error('netlink recv failed: ENOMEM');
    await until(() => first.closed, 'the failed socket to be closed');
    expect(events.has(A)).toBe(false);
    const failed = events.failures();
    expect([...failed.sockets.keys()]).toEqual([A]);
    expect(events.failures().sockets.size).toBe(0);
    expect(events.lost(A)).toBe(5);
    await events.open(A, '/proc/12/ns/net');
    k.sockets.get('/proc/12/ns/net')!.dropped = 2;
    expect(events.lost(A)).toBe(7);
    // Dropped from the kept set, a namespace's losses are forgotten with it.
    events.retain(new Set());
    expect(events.lost(A)).toBe(0);
    await events.close();
    expect(k.violations).toEqual([]);
  });

  it('passes the errors of opening on, and closes every socket at close(), none under a poll', async () => {
    const k = fakeKernel();
    const events = new NamespaceDestroyEvents(() => undefined, { receiveBufferBytes: 4096 }, { open: k.open, poll: k.poll, pollTimeoutMs: 5 });
    await expect(events.open(A, '/proc/gone/ns/net')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(events.has(A)).toBe(false);
    await events.open(A, '/proc/10/ns/net');
    await events.open(B, '/proc/20/ns/net');
    await until(() => k.polling().length === 2, 'a poll in flight on both sockets');
    await events.close();
    expect([...k.sockets.values()].map((s) => s.closed)).toEqual([true, true]);
    expect(k.violations).toEqual([]);
    await expect(events.open(A, '/proc/10/ns/net')).rejects.toThrow(/closed/);
  });

  it('does not poll while it has no socket', async () => {
    const k = fakeKernel();
    const events = new NamespaceDestroyEvents(() => undefined, { receiveBufferBytes: 4096 }, { open: k.open, poll: k.poll, pollTimeoutMs: 5 });
    await new Promise((r) => setTimeout(r, 20));
    expect(k.polls()).toBe(0);
    await events.open(A, '/proc/10/ns/net');
    await until(() => k.polls() > 0, 'a poll');
    events.retain(new Set());
    const after = k.polls();
    await new Promise((r) => setTimeout(r, 30));
    expect(k.polls()).toBeLessThanOrEqual(after + 1); // at most the one under way when it was emptied
    await events.close();
  });
});
