import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TCP_STATES } from '../../../src/model/tcpState.js';
import { canCreateNetns, Netns } from '../../../bench/netns.js';
import { CLI, REPO_ROOT } from '../../helpers/paths.js';

const HOLD = join(REPO_ROOT, 'dist', 'bench', 'holdPopulation.js');

interface SnapshotJson {
  data: { sockets: { source: string; backlogSource: string; summary: { byFamily: Record<string, Record<string, number>> } & Record<string, unknown> } };
}

/**
 * netlink and procfs must agree exactly on every aggregate. In a network namespace of the test's
 * own nothing else opens or closes sockets, so two walks of the same population are comparable.
 */
describe.runIf(canCreateNetns())('netlink and procfs sources on the same real sockets', () => {
  let ns: Netns;
  const snapshot = (source: string): SnapshotJson => {
    const r = ns.exec(process.execPath, [CLI, 'snapshot', '--format=json', `--collector.source=${source}`, '--collector.ports.top-client=50']);
    if (r.status !== 0) throw new Error(`snapshot --collector.source=${source} failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as SnapshotJson;
  };

  beforeAll(async () => {
    ns = new Netns('tcpstate-test');
    await ns.startUntil(process.execPath, [HOLD, JSON.stringify({ pairs: 300, timeWait: 150, halfClosed: 40, listeners: 6, host: '127.0.0.1' })], /"ready":true/);
    await ns.startUntil(process.execPath, [HOLD, JSON.stringify({ pairs: 120, timeWait: 30, halfClosed: 10, listeners: 2, host: '::1' })], /"ready":true/);
  }, 60_000);

  afterAll(() => ns?.destroy());

  it('gives identical summaries, listen backlogs included', () => {
    const viaNetlink = snapshot('netlink');
    const viaProcfs = snapshot('procfs');
    const again = snapshot('netlink');
    expect(viaNetlink.data.sockets.source).toBe('netlink');
    expect(viaProcfs.data.sockets.source).toBe('procfs');
    expect(viaProcfs.data.sockets.backlogSource).toBe('netlink');
    // The population is settled: two netlink walks around the procfs walk agree with each other.
    expect(again.data.sockets.summary).toEqual(viaNetlink.data.sockets.summary);
    expect(viaProcfs.data.sockets.summary).toEqual(viaNetlink.data.sockets.summary);
  });

  it('sees the population it was given, in both families', () => {
    const { byFamily } = snapshot('netlink').data.sockets.summary;
    expect(byFamily['ipv4']).toMatchObject({ listen: 7, established: 600, time_wait: 150, close_wait: 40, fin_wait2: 40 });
    expect(byFamily['ipv6']).toMatchObject({ listen: 3, established: 240, time_wait: 30, close_wait: 10, fin_wait2: 10 });
    expect(Object.keys(byFamily['ipv4']!)).toEqual([...TCP_STATES]);
  });
});
