import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Collector } from '../../../src/collectors/collector.js';
import type { CounterValues } from '../../../src/collectors/snmpCollector.js';
import { SnapshotPoller } from '../../../src/snapshot/poller.js';
import { silentLogger } from '../../helpers/collect.js';

/** A collector that takes `ms` and records how many of its runs overlap. */
function slowCollector(ms: number) {
  let running = 0;
  let maxRunning = 0;
  let runs = 0;
  const collector: Collector<CounterValues> = {
    async collect() {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      return { tcp_active_opens_total: ++runs };
    },
  };
  return { collector, stats: () => ({ maxRunning, runs }) };
}

/**
 * Fake setTimeout and Date (what the poller schedules and measures intervals with); performance.now
 * (durations) and setImmediate stay real. Time then moves only when a test advances it, so these
 * tests wait for nothing and the counts they assert are exact.
 */
function fakeClock(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
}

/** Advances the fake clock by `ms`, running every timer due and the promises they settle, then awaits `p`. */
async function after<T>(ms: number, p: Promise<T>): Promise<T> {
  await vi.advanceTimersByTimeAsync(ms);
  return p;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('SnapshotPoller', () => {
  it('collects at start, keeps polling, and never overlaps a slow collection', async () => {
    fakeClock();
    const slow = slowCollector(60);
    const poller = new SnapshotPoller({ snmp: slow.collector }, { procfs: '/proc', log: silentLogger }, 20);
    const first = await after(60, poller.start());
    expect(first.sequence).toBe(1);
    expect(first.data.snmp).toEqual({ tcp_active_opens_total: 1 });
    // Scrapes arriving meanwhile ask for nothing: they only read the latest snapshot.
    await vi.advanceTimersByTimeAsync(400);
    await after(60, poller.stop()); // the cycle under way finishes
    const { maxRunning, runs } = slow.stats();
    expect(maxRunning).toBe(1);
    // 60 ms collections against a 20 ms interval: each cycle starts as the last one ends.
    expect(runs).toBe(8);
    expect(poller.latest()!.sequence).toBe(runs);
    await vi.advanceTimersByTimeAsync(150);
    expect(slow.stats().runs).toBe(runs); // stopped means stopped
  });

  it('waits out the interval after a fast collection', async () => {
    fakeClock();
    const fast = slowCollector(1);
    const poller = new SnapshotPoller({ snmp: fast.collector }, { procfs: '/proc', log: silentLogger }, 200);
    await after(1, poller.start());
    await vi.advanceTimersByTimeAsync(198);
    expect(fast.stats().runs).toBe(1); // 1 ms before the interval is over
    await vi.advanceTimersByTimeAsync(2);
    expect(fast.stats().runs).toBe(2);
    await vi.advanceTimersByTimeAsync(150);
    await after(1, poller.stop());
    expect(fast.stats().runs).toBe(2);
  });

  it('records a throwing collector as failed with its message and keeps the others', async () => {
    const ok = slowCollector(1);
    const failing: Collector<CounterValues> = {
      collect: () => Promise.reject(new Error('EACCES: permission denied, open /proc/net/netstat')),
    };
    const poller = new SnapshotPoller({ snmp: ok.collector, netstat: failing }, { procfs: '/proc', log: silentLogger }, 1000);
    const s = await poller.collectOnce();
    expect(s.status.netstat).toMatchObject({ success: false, error: 'EACCES: permission denied, open /proc/net/netstat' });
    expect(s.status.snmp!.success).toBe(true);
    expect(s.data.netstat).toBeUndefined();
  });

  it('fails a collector past its deadline with reason "timeout", publishes the rest, and does not start it again until it returns', async () => {
    let release: (v: CounterValues) => void = () => undefined;
    let calls = 0;
    const hung: Collector<CounterValues> = {
      collect: () => {
        calls++;
        return calls === 1 ? new Promise<CounterValues>((r) => (release = r)) : Promise.resolve({ tcp_ext_listen_overflows_total: calls });
      },
    };
    fakeClock();
    const ok = slowCollector(1);
    const poller = new SnapshotPoller({ snmp: ok.collector, netstat: hung }, { procfs: '/proc', log: silentLogger }, 1000, { timeoutMs: 50 });
    const first = await after(50, poller.collectOnce());
    expect(first.status.netstat).toMatchObject({ success: false, timedOut: true, error: 'timeout: did not return within 0.05s (--collector.timeout)' });
    expect(first.status.snmp!.success).toBe(true);
    expect(first.data.snmp).toEqual({ tcp_active_opens_total: 1 });
    const second = await after(1, poller.collectOnce());
    expect(second.status.netstat).toMatchObject({ success: false, timedOut: true, durationSeconds: 0 });
    expect(second.status.netstat!.error).toMatch(/^timeout: the previous run has not returned after [\d.]+s, so it was not started again$/);
    expect(second.data.snmp).toEqual({ tcp_active_opens_total: 2 });
    expect(calls).toBe(1);
    release({ tcp_ext_listen_overflows_total: 1 }); // the late result is dropped
    await new Promise((r) => setImmediate(r));
    const third = await after(1, poller.collectOnce());
    expect(calls).toBe(2);
    expect(third.status.netstat!.success).toBe(true);
    expect(third.data.netstat).toEqual({ tcp_ext_listen_overflows_total: 2 });
  });

  it('on stop({ abandon }) ends a cycle that waits for a hung collector at once, and does not publish it', async () => {
    const hung: Collector<CounterValues> = { collect: () => new Promise<CounterValues>(() => undefined) };
    const poller = new SnapshotPoller({ netstat: hung }, { procfs: '/proc', log: silentLogger }, 1000, { timeoutMs: 3_600_000 });
    const cycle = poller.start();
    await poller.stop({ abandon: true });
    await cycle;
    expect(poller.latest()).toBeUndefined();
  });
});

describe('SnapshotPoller.first', () => {
  it('resolves with the first snapshot once it is published, and at once afterwards', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const gated: Collector<CounterValues> = {
      async collect() {
        await gate;
        return { tcp_active_opens_total: 1 };
      },
    };
    const poller = new SnapshotPoller({ snmp: gated }, { procfs: '/proc', log: silentLogger }, 60_000);
    const waiting = poller.first(); // asked before any collection started
    let settled = false;
    void waiting.then(() => (settled = true));
    const started = poller.start();
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    release();
    const first = await started;
    expect(await waiting).toBe(first);
    expect(await poller.first()).toBe(first);
    await poller.stop();
  });
});
