import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORT_LIMITS } from '../../../src/aggregate/socketSummary.js';
import { fixturePoller, recordingLog } from '../../helpers/collect.js';
import { fixture } from '../../helpers/paths.js';

/** The healthy fixture tree with ip_local_port_range widened over its service ports (22, 8080, 9090). */
const dir = mkdtempSync(join(tmpdir(), 'tcpstate-wide-'));
cpSync(fixture('proc'), dir, { recursive: true });
writeFileSync(join(dir, 'sys/net/ipv4/ip_local_port_range'), '1024\t65535\n');

describe('a port range widened over service ports', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('folds the services in it into port="ephemeral" and says so once, naming the remedies', async () => {
    const { logger, records } = recordingLog();
    const poller = fixturePoller(dir, DEFAULT_PORT_LIMITS, logger);
    const s = await poller.collectOnce();
    await poller.collectOnce();
    expect(s.data.sockets!.summary.serverPorts.map((p) => p.port)).toEqual(['22', 'other', 'ephemeral']);
    const warned = records.filter((r) => r.level === 'warn' && r.msg.includes('ip_local_port_range starts below 32768'));
    expect(warned).toHaveLength(1);
    expect(warned[0]!.msg).toContain('--collector.ports.pin');
    expect(warned[0]!.msg).toContain('--collector.ports.ephemeral-by-number');
    expect(warned[0]!.obj).toMatchObject({ low: 1024, high: 65535 });
  });

  it('names them, without the warning, with pins or ports by number', async () => {
    const pinned = await fixturePoller(dir, { ...DEFAULT_PORT_LIMITS, pinnedPorts: [8080] }).collectOnce();
    expect(pinned.data.sockets!.summary.serverPorts.map((p) => p.port)).toEqual(['22', '8080', 'other', 'ephemeral']);
    const { logger, records } = recordingLog();
    const byNumber = await fixturePoller(dir, { ...DEFAULT_PORT_LIMITS, ephemeralPorts: 'number' }, logger).collectOnce();
    expect(byNumber.data.sockets!.summary.serverPorts.map((p) => p.port)).toEqual(['22', '8080', '9090', 'other']);
    expect(records.filter((r) => r.msg.includes('ip_local_port_range'))).toEqual([]);
  });
});
