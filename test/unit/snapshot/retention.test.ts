import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { Collector } from '../../../src/collectors/collector.js';
import type { CounterValues } from '../../../src/collectors/snmpCollector.js';
import { withDeadline } from '../../../src/snapshot/deadline.js';
import { SnapshotPoller } from '../../../src/snapshot/poller.js';
import { silentLogger } from '../../helpers/collect.js';

// A full collection on demand, so the test can ask whether something is still reachable.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** How many of `refs` the garbage collector can still reach after two collections and a turn between. */
async function stillReachable(refs: ReadonlyArray<WeakRef<object>>): Promise<number> {
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
  return refs.filter((r) => r.deref() !== undefined).length;
}

/**
 * What a finished cycle produced must not outlive the snapshots that hold it. A wait that left a
 * reaction on a promise as long-lived as the poller kept every collector result and timer of every
 * cycle until shutdown: a slow leak (~45 KB/s with all collectors at a 1 s interval).
 */
describe('nothing of a finished cycle is kept', () => {
  it('withDeadline: a wait that ended leaves nothing on the cancel signal', async () => {
    const cancel = new AbortController();
    const refs: WeakRef<object>[] = [];
    // In a frame of its own, so no local of the test's holds the last value.
    const waitFor = async (i: number): Promise<string> => {
      const value = { payload: new Array<number>(1000).fill(i) };
      refs.push(new WeakRef(value));
      return (await withDeadline(Promise.resolve(value), 60_000, cancel.signal)).kind;
    };
    for (let i = 0; i < 50; i++) expect(await waitFor(i)).toBe('done');
    expect(await stillReachable(refs)).toBe(0);
    cancel.abort();
  });

  it('the poller: after 50 collections only the last result is reachable (the served snapshot)', async () => {
    const refs: WeakRef<object>[] = [];
    let runs = 0;
    const snmp: Collector<CounterValues> = {
      async collect() {
        const value = { tcp_active_opens_total: ++runs };
        refs.push(new WeakRef(value));
        return value;
      },
    };
    const poller = new SnapshotPoller({ snmp }, { procfs: '/nonexistent', log: silentLogger }, 60_000);
    for (let i = 0; i < 50; i++) await poller.collectOnce();
    expect(poller.latest()?.data.snmp?.tcp_active_opens_total).toBe(50);
    expect(await stillReachable(refs)).toBe(1);
    await poller.stop();
  });
});
