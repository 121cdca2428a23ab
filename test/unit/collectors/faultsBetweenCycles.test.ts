import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { metricCatalog } from '../../../src/metrics/catalog.js';
import { buildExposition, renderedText } from '../../../src/metrics/exposition.js';
import { BUILD_INFO } from '../../../src/version.js';
import { DEFAULT_COLLECTORS, fixturePoller, recordingLog } from '../../helpers/collect.js';
import { fixture } from '../../helpers/paths.js';


/**
 * Faults injected into a live procfs tree between collection cycles: a file that disappears, one
 * that becomes unreadable, one that is truncated mid-line, a sysctl an older kernel lacks. The
 * affected collector fails (success 0, the reason logged once), the others go on, its old values
 * are not served as fresh, and it recovers when the file does.
 */
describe('faults between cycles', () => {
  let tree = '';
  afterEach(() => rmSync(tree, { recursive: true, force: true }));

  it('degrades per collector, never serves stale values, and recovers', async () => {
    tree = mkdtempSync(join(tmpdir(), 'tcpstate-faults-'));
    cpSync(fixture('proc'), tree, { recursive: true });
    const log = recordingLog();
    const poller = fixturePoller(tree, undefined, log.logger);
    const exposition = buildExposition(metricCatalog(BUILD_INFO, DEFAULT_COLLECTORS), poller, { processMetrics: false });
    const scrape = async () => renderedText(await exposition.render('prometheus'));

    const healthy = await poller.collectOnce();
    expect(Object.values(healthy.status).every((s) => s.success)).toBe(true);
    expect(await scrape()).toMatch(/^tcpstate_tcp_active_opens_total \d+/m);

    // snmp disappears, netstat becomes unreadable to a non-root reader (root reads anyway, so
    // it is emptied instead), tcp6 is cut mid-line, and a sysctl vanishes as on an older kernel.
    rmSync(join(tree, 'net', 'snmp'));
    writeFileSync(join(tree, 'net', 'netstat'), '');
    writeFileSync(join(tree, 'net', 'tcp6'), '  sl  local_address                         remote_address\n   0: 00000000000000000000000000000000:2382 0000');
    rmSync(join(tree, 'sys', 'net', 'ipv4', 'tcp_fin_timeout'));
    const faulty = await poller.collectOnce();
    expect(faulty.status['snmp']).toMatchObject({ success: false, error: expect.stringMatching(/ENOENT/) });
    expect(faulty.status['netstat']!.success).toBe(false);
    expect(faulty.status['sockets']!.success).toBe(true); // the cut line is counted as malformed
    expect(faulty.data.sockets!.tables.find((t) => t.table === 'net/tcp6')).toMatchObject({ sockets: 0, malformed: 1 });
    expect(faulty.status['sysctl']!.success).toBe(true);
    expect(faulty.data.sysctl!.missing).toContain('sys/net/ipv4/tcp_fin_timeout');
    const text = await scrape();
    expect(text).not.toMatch(/^tcpstate_tcp_active_opens_total /m); // absent, not the old value
    expect(text).toMatch(/^tcpstate_collector_success\{collector="snmp"\} 0$/m);
    expect(text).not.toMatch(/^tcpstate_sysctl_fin_timeout_seconds /m);
    expect(log.records.filter((r) => r.msg === 'collector failed' && r.level === 'error').map((r) => r.obj['collector']).sort()).toEqual(['netstat', 'snmp']);

    // A second faulty cycle logs nothing new at error level.
    await poller.collectOnce();
    expect(log.records.filter((r) => r.msg === 'collector failed' && r.level === 'error')).toHaveLength(2);

    cpSync(fixture('proc'), tree, { recursive: true });
    const recovered = await poller.collectOnce();
    expect(Object.values(recovered.status).every((s) => s.success)).toBe(true);
    expect(log.records.filter((r) => r.msg === 'collector recovered').map((r) => r.obj['collector']).sort()).toEqual(['netstat', 'snmp']);
    expect(await scrape()).toMatch(/^tcpstate_tcp_active_opens_total \d+/m);
  });

  it('an unreadable socket table fails the sockets collector only', async () => {
    tree = mkdtempSync(join(tmpdir(), 'tcpstate-faults-'));
    cpSync(fixture('proc'), tree, { recursive: true });
    const poller = fixturePoller(tree);
    // A directory where the file should be: EISDIR for any reader, root included.
    rmSync(join(tree, 'net', 'tcp'));
    cpSync(join(tree, 'sys'), join(tree, 'net', 'tcp'), { recursive: true });
    chmodSync(join(tree, 'net', 'tcp'), 0o755);
    const s = await poller.collectOnce();
    expect(s.status['sockets']).toMatchObject({ success: false, error: expect.stringMatching(/EISDIR/) });
    expect(s.data.sockets).toBeUndefined();
    for (const name of ['sysctl', 'snmp', 'netstat', 'sockstat'] as const) expect(s.status[name]!.success).toBe(true);
  });
});
