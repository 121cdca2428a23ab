import { mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORT_LIMITS } from '../../../src/aggregate/socketSummary.js';
import type { CollectedInputs, Collector } from '../../../src/collectors/collector.js';
import { NetnsCollector } from '../../../src/collectors/netnsCollector.js';
import { DEFAULT_NETNS_OPTIONS } from '../../../src/collectors/options.js';
import type { CounterValues } from '../../../src/collectors/snmpCollector.js';
import { SocketsCollector } from '../../../src/collectors/socketsCollector.js';
import { newSocketRecord, type SocketSink } from '../../../src/model/socketRecord.js';
import { LISTEN } from '../../../src/model/tcpState.js';
import { SnapshotPoller } from '../../../src/snapshot/poller.js';
import type { SocketSource, WalkReport } from '../../../src/sources/socketSource.js';
import { silentLogger } from '../../helpers/collect.js';

/**
 * Collector.inputs: a collector that reads another's result of the same cycle is handed that
 * result by the poller, whatever the list order and however long the input takes, and a failed or
 * absent input is handed as such.
 */
describe('collector inputs', () => {
  const ctx = { procfs: '/nonexistent', log: silentLogger };

  /** netstat, listed after snmp, takes a few event-loop turns and returns its cycle number. */
  function slowNetstat(fail = false): Collector<CounterValues> {
    let cycle = 0;
    return {
      async collect() {
        const mine = ++cycle;
        for (let i = 0; i < 5; i++) await nextTurn();
        if (fail) throw new Error(`netstat broke in cycle ${mine}`);
        return { cycle: mine };
      },
    };
  }

  /** snmp, listed before netstat, declares it as input and returns what it was handed. */
  function snmpReadingNetstat(): Collector<CounterValues, { netstat: CounterValues }> & { handed: unknown[] } {
    const handed: unknown[] = [];
    return {
      inputs: ['netstat'],
      handed,
      async collect(_ctx, inputs?: CollectedInputs<{ netstat: CounterValues }>): Promise<CounterValues> {
        handed.push(inputs?.netstat);
        return inputs?.netstat.ok ? { netstatCycle: inputs.netstat.value['cycle']! } : {};
      },
    };
  }

  it('hands an input listed later, and slower, its result of the same cycle', async () => {
    const snmp = snmpReadingNetstat();
    const poller = new SnapshotPoller({ snmp, netstat: slowNetstat() }, ctx, 60_000);
    for (let cycle = 1; cycle <= 3; cycle++) {
      const s = await poller.collectOnce();
      expect(s.data.snmp).toEqual({ netstatCycle: cycle });
    }
  });

  it('hands a failed input as failed, with its reason, and an absent one as not enabled', async () => {
    const snmp = snmpReadingNetstat();
    await new SnapshotPoller({ snmp, netstat: slowNetstat(true) }, ctx, 60_000).collectOnce();
    await new SnapshotPoller({ snmp }, ctx, 60_000).collectOnce();
    expect(snmp.handed).toEqual([
      { ok: false, reason: 'netstat broke in cycle 1' },
      { ok: false, reason: 'collector not enabled' },
    ]);
  });

  it('refuses an unknown input and a chain of inputs', () => {
    const unknown = { ...snmpReadingNetstat(), inputs: ['nosuch'] };
    expect(() => new SnapshotPoller({ snmp: unknown }, ctx, 60_000)).toThrow(/unknown input nosuch/);
    const chained = { ...slowNetstat(), inputs: ['sysctl'] };
    expect(() => new SnapshotPoller({ snmp: snmpReadingNetstat(), netstat: chained }, ctx, 60_000)).toThrow(/input netstat has inputs of its own/);
  });
});

/**
 * The netns collector takes the exporter's own namespace from the sockets collector's walk of the
 * same cycle. The socket source here holds `k` listeners on its k-th walk and answers a few
 * event-loop turns late: a netns result from the previous cycle, or from a walk of its own, would
 * count k - 1 or k + 1.
 */
describe('netns takes its own namespace from the sockets collector of the same cycle', () => {
  // A procfs tree whose only process (pid 1, and `self`) is in this process's network namespace.
  const tree = mkdtempSync(join(tmpdir(), 'tcpstate-inputs-'));
  afterAll(() => rmSync(tree, { recursive: true, force: true }));
  const ownNetns = readlinkSync('/proc/self/ns/net');
  for (const pid of ['1', 'self']) {
    mkdirSync(join(tree, pid, 'ns'), { recursive: true });
    symlinkSync(ownNetns, join(tree, pid, 'ns', 'net'));
  }
  mkdirSync(join(tree, 'sys/net/ipv4'), { recursive: true });
  writeFileSync(join(tree, 'sys/net/ipv4/ip_local_port_range'), '32768\t60999\n');

  let walks = 0;
  const growing: SocketSource = {
    name: 'procfs',
    reportsKernelDetail: true,
    async walk(sink: SocketSink): Promise<WalkReport> {
      const k = ++walks;
      for (let i = 0; i < 3; i++) await nextTurn();
      const r = newSocketRecord();
      r.state = LISTEN;
      r.txQueue = -1;
      for (let i = 0; i < k; i++) {
        r.localPort = 1000 + i;
        sink.add(r);
      }
      return { tables: [{ table: 'scripted', sockets: k, malformed: 0, present: true }], backlogSource: 'none' };
    },
  };

  it.runIf(process.platform === 'linux')('in every cycle', async () => {
    const poller = new SnapshotPoller(
      { sockets: new SocketsCollector(growing, DEFAULT_PORT_LIMITS), netns: new NetnsCollector(DEFAULT_NETNS_OPTIONS, growing) },
      { procfs: tree, log: silentLogger },
      60_000,
    );
    for (let cycle = 1; cycle <= 3; cycle++) {
      const s = await poller.collectOnce();
      expect(s.status.netns).toMatchObject({ success: true });
      const own = s.data.netns!.namespaces.find((n) => n.netns === 'host')!;
      expect(s.data.sockets!.summary.byFamily.ipv4[LISTEN]).toBe(cycle);
      expect(own.states[LISTEN]).toBe(cycle);
    }
    expect(walks).toBe(3); // the namespace was not walked a second time
  });
});
