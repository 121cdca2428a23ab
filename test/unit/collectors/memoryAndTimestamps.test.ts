import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NetstatCollector } from '../../../src/collectors/netstatCollector.js';
import { SysctlCollector } from '../../../src/collectors/sysctlCollector.js';
import { metricCatalog } from '../../../src/metrics/catalog.js';
import type { Snapshot } from '../../../src/snapshot/snapshot.js';
import { readTimeWaitReuseSysctls } from '../../../src/sources/portRange.js';
import { BUILD_INFO } from '../../../src/version.js';
import { silentLogger } from '../../helpers/collect.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A procfs tree in a temp dir holding exactly `files` (path relative to the root → content). */
function tree(files: Readonly<Record<string, string | Buffer>>): string {
  const root = mkdtempSync(join(tmpdir(), 'tcpstate-kernel-'));
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

/** An ELF auxiliary vector (u64 type, u64 value pairs, little-endian) giving AT_PAGESZ = size. */
function auxv(pageSize: number): Buffer {
  const b = Buffer.alloc(48);
  b.writeBigUInt64LE(25n, 0); // AT_RANDOM, before it, as the kernel orders them
  b.writeBigUInt64LE(0x7ffe0000n, 8);
  b.writeBigUInt64LE(6n, 16); // AT_PAGESZ
  b.writeBigUInt64LE(BigInt(pageSize), 24);
  return b; // AT_NULL: the zeroed tail
}

const ctx = (procfs: string) => ({ procfs, log: silentLogger });

/** The values the catalog serves from a snapshot holding `data`: family name (no labels) → value. */
function served(data: Snapshot['data']): Record<string, number> {
  const s: Snapshot = { sequence: 1, takenAtMs: 0, durationSeconds: 0, intervalSeconds: 15, stuckReads: [], data, status: {} };
  const out: Record<string, number> = {};
  for (const f of metricCatalog(BUILD_INFO)) for (const x of f.samples(s, 0)) if (Object.keys(x.labels).length === 0 && f.collector !== 'exporter') out[f.name] = x.value;
  return out;
}
const KEEPALIVE = { 'sys/net/ipv4/tcp_keepalive_time': '7200\n' };

describe('sysctl collector: net.ipv4.tcp_mem and tcp_timestamps', () => {
  const cases: Array<{ name: string; files: Record<string, string | Buffer>; want?: Record<string, number>; absent?: string[]; wantErr?: RegExp }> = [
    {
      name: 'tcp_mem in pages of the page size auxv gives (16 KiB, as on arm64 with 16K pages)',
      files: { ...KEEPALIVE, 'sys/net/ipv4/tcp_mem': '22104\t29472\t44208\n', 'sys/net/ipv4/tcp_timestamps': '1\n', 'self/auxv': auxv(16384) },
      want: { tcpstate_sysctl_mem_min_bytes: 22104 * 16384, tcpstate_sysctl_mem_pressure_bytes: 29472 * 16384, tcpstate_sysctl_mem_max_bytes: 44208 * 16384, tcpstate_sysctl_timestamps: 1 },
    },
    {
      name: 'no auxv: 4096-byte pages, as for sockstat memory',
      files: { ...KEEPALIVE, 'sys/net/ipv4/tcp_mem': '88413 117885 176826\n', 'sys/net/ipv4/tcp_timestamps': '2\n' },
      want: { tcpstate_sysctl_mem_min_bytes: 88413 * 4096, tcpstate_sysctl_mem_pressure_bytes: 117885 * 4096, tcpstate_sysctl_mem_max_bytes: 176826 * 4096, tcpstate_sysctl_timestamps: 2 },
    },
    {
      name: 'a kernel or namespace without them: absent, not zero, and the collector succeeds',
      files: { ...KEEPALIVE },
      want: { tcpstate_sysctl_keepalive_time_seconds: 7200 },
      absent: ['tcpstate_sysctl_mem_min_bytes', 'tcpstate_sysctl_mem_pressure_bytes', 'tcpstate_sysctl_mem_max_bytes', 'tcpstate_sysctl_timestamps'],
    },
    { name: 'tcp_mem with two numbers', files: { ...KEEPALIVE, 'sys/net/ipv4/tcp_mem': '1 2\n' }, wantErr: /tcp_mem: expected 3 integer\(s\), found 2/ },
    { name: 'tcp_timestamps not a number', files: { ...KEEPALIVE, 'sys/net/ipv4/tcp_timestamps': 'on\n' }, wantErr: /tcp_timestamps: not an integer/ },
  ];
  it.each(cases)('$name', async ({ files, want, absent, wantErr }) => {
    const collect = new SysctlCollector().collect(ctx(tree(files)));
    if (wantErr) {
      await expect(collect).rejects.toThrow(wantErr);
      return;
    }
    const r = await collect;
    // The collector keeps the kernel's names and units (tcp_mem in pages); the catalog serves bytes.
    expect(r.values['tcp_keepalive_time']).toEqual([7200]);
    const values = served({ sysctl: r });
    expect(values).toMatchObject(want!);
    for (const name of absent ?? []) expect(values).not.toHaveProperty(name);
    if (absent !== undefined) expect(r.missing).toEqual(expect.arrayContaining(['sys/net/ipv4/tcp_mem', 'sys/net/ipv4/tcp_timestamps']));
  });
});

describe('netstat collector: TcpExt memory pressure', () => {
  const netstat = (fields: Record<string, number>): string =>
    `TcpExt: ${Object.keys(fields).join(' ')}\nTcpExt: ${Object.values(fields).join(' ')}\nIpExt: InNoRoutes\nIpExt: 0\n`;
  const cases: Array<{ name: string; fields: Record<string, number>; want: Record<string, number> }> = [
    {
      name: 'both counters; the chrono is milliseconds, exported in seconds',
      fields: { ListenOverflows: 3, TCPMemoryPressures: 4, TCPMemoryPressuresChrono: 1500 },
      want: { tcpstate_tcpext_listen_overflows_total: 3, tcpstate_tcpext_memory_pressures_total: 4, tcpstate_tcpext_memory_pressure_seconds_total: 1.5 },
    },
    {
      name: 'an older kernel without TCPMemoryPressuresChrono: that one absent',
      fields: { ListenOverflows: 3, TCPMemoryPressures: 4 },
      want: { tcpstate_tcpext_listen_overflows_total: 3, tcpstate_tcpext_memory_pressures_total: 4 },
    },
    { name: 'neither: both absent, not zero', fields: { ListenOverflows: 3 }, want: { tcpstate_tcpext_listen_overflows_total: 3 } },
  ];
  it.each(cases)('$name', async ({ fields, want }) => {
    // The collector returns TcpExt under the kernel's names, in its units (milliseconds).
    const tcpExt = await new NetstatCollector().collect(ctx(tree({ 'net/netstat': netstat(fields) })));
    expect(tcpExt).toEqual(fields);
    expect(served({ netstat: tcpExt })).toEqual(want);
  });
});

describe('readTimeWaitReuseSysctls', () => {
  it('reads both, and gives null for a file the kernel lacks', async () => {
    expect(await readTimeWaitReuseSysctls(tree({ 'sys/net/ipv4/tcp_tw_reuse': '2\n', 'sys/net/ipv4/tcp_timestamps': '1\n' }))).toEqual({ twReuse: 2, timestamps: 1 });
    expect(await readTimeWaitReuseSysctls(tree({ 'sys/net/ipv4/tcp_tw_reuse': '1\n' }))).toEqual({ twReuse: 1, timestamps: null });
  });
  it('fails on a malformed value, naming the file', async () => {
    await expect(readTimeWaitReuseSysctls(tree({ 'sys/net/ipv4/tcp_tw_reuse': 'yes\n' }))).rejects.toThrow(/tcp_tw_reuse/);
  });
});
