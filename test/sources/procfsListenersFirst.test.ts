import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORT_LIMITS } from '../../src/aggregate/socketSummary.js';
import { SocketAggregator } from '../../src/aggregate/socketAggregator.js';
import { ProcfsSocketSource } from '../../src/sources/procfsSocketSource.js';
import { RecordingSink } from '../helpers/recordingSink.js';

// /proc/net/tcp{,6} rows in the kernel's format: local, remote, state (0A LISTEN, 01 ESTABLISHED).
const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const row = (i: number, local: string, remote: string, st: string, inode: number): string =>
  `  ${i}: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000  1000        0 ${inode} 1 0000000000000000 20 4 30 10 -1\n`;
const V4 = (port: number): string => `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
const V6 = (port: number): string => `00000000000000000000000001000000:${port.toString(16).toUpperCase().padStart(4, '0')}`;
const ANY6 = `${'0'.repeat(32)}:0000`;

describe('procfs source: listeners of both tables first', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpstate-order-'));
  mkdirSync(join(dir, 'net'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // tcp: a listener on 80, a connection from 127.0.0.1:9000 (a port only tcp6 listens on) to 80,
  // its accepted end, then a listener a hand-made file lists after other rows (port 81).
  writeFileSync(join(dir, 'net/tcp'), HEADER +
    row(0, V4(80), '00000000:0000', '0A', 1) +
    row(1, V4(9000), V4(80), '01', 2) +
    row(2, V4(80), V4(9000), '01', 3) +
    row(3, V4(81), '00000000:0000', '0A', 4));
  writeFileSync(join(dir, 'net/tcp6'), HEADER + row(0, V6(9000), ANY6, '0A', 5));
  const source = new ProcfsSocketSource(dir);

  it('hands every listener over before any other socket, and each socket once', async () => {
    const sink = new RecordingSink();
    const report = await source.walk(sink);
    expect(sink.seen.map((s) => `${s.state} ${s.local}`)).toEqual([
      'listen 127.0.0.1:80',
      'listen [0:0:0:0:0:0:0:1]:9000',
      'established 127.0.0.1:9000',
      'established 127.0.0.1:80',
      'listen 127.0.0.1:81', // not at the head of its file: delivered where it stands, not lost
    ]);
    expect(report.tables.map((t) => [t.table, t.sockets])).toEqual([['net/tcp', 4], ['net/tcp6', 1]]);
  });

  it('counts the IPv4 socket on the IPv6 listener\'s port as a server socket of that port', async () => {
    const aggregator = new SocketAggregator(DEFAULT_PORT_LIMITS);
    await source.walk(aggregator);
    const ports = aggregator.summarize().serverPorts.map((p) => [p.port, p.states.reduce((a, b) => a + b, 0)]);
    expect(ports).toEqual(expect.arrayContaining([['9000', 2], ['80', 2], ['81', 1]]));
    expect(aggregator.summarize().clientPorts.flatMap((p) => p.states).every((n) => n === 0)).toBe(true);
  });
});
