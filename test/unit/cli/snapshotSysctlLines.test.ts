import { describe, expect, it } from 'vitest';
import { renderSnapshotTable } from '../../../src/cli/snapshotReport.js';
import { collectFixture } from '../../helpers/collect.js';
import { fixture } from '../../helpers/paths.js';

/** The sysctl lines of `snapshot` and `watch`: what an SRE reads in TIME_WAIT or port-exhaustion triage. */
describe('the sysctl lines of the snapshot table', async () => {
  const table = renderSnapshotTable(await collectFixture(fixture('proc')));
  const line = (start: string): string => table.split('\n').find((l) => l.startsWith(start)) ?? `no line starting "${start}"`;

  it('show every sysctl the fixture holds, none as "?"', () => {
    expect(line('keepalive sysctls:')).toBe('keepalive sysctls: time 7200s, interval 75s, probes 9 -> dead peer noticed after 7875s');
    expect(line('fin_timeout')).toBe('fin_timeout 60s, tw_reuse 2, max_tw_buckets 262144, local ports 32768-60999');
    expect(line('somaxconn')).toBe('somaxconn 4096, max_syn_backlog 4096');
  });
});
