import { spawnSync } from 'node:child_process';
import { closeSync, constants, cpSync, linkSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, startExporter, type RunningExporter } from '../../helpers/exporterProcess.js';
import { samplesOf } from '../../helpers/exposition.js';
import { CLI, fixture } from '../../helpers/paths.js';

/**
 * Reads that never return, on the real binary: a copy of the fixture tree in which one file is a
 * FIFO nobody writes. Opening it for reading blocks until a writer comes, as a read from a dead
 * NFS or FUSE server or a wedged kernel path would block.
 */
const linux = process.platform === 'linux';
const dirs: string[] = [];
const running: RunningExporter[] = [];

afterEach(() => {
  for (const e of running.splice(0)) e.child.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A copy of a fixture tree whose `relative` is a FIFO (also linked as <root>/../hang.fifo, to unblock it later). */
function treeWithFifo(relative: string, tree = 'proc'): { root: string; fifo: string; original: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tcpstate-hung-'));
  dirs.push(dir);
  const root = join(dir, 'proc');
  // verbatimSymlinks: the fd/ links ("socket:[inode]") are copied as they are.
  cpSync(fixture(tree), root, { recursive: true, verbatimSymlinks: true });
  const original = readFileSync(join(root, relative), 'latin1');
  unlinkSync(join(root, relative));
  const fifo = join(dir, 'hang.fifo');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  linkSync(fifo, join(root, relative));
  return { root, fifo, original };
}

async function start(root: string, extra: readonly string[] = []): Promise<RunningExporter> {
  const e = await startExporter([`--path.procfs=${root}`, '--collector.interval=300ms', '--collector.timeout=1s', ...extra]);
  running.push(e);
  return e;
}

const metrics = async (e: RunningExporter): Promise<Map<string, number>> => samplesOf(await (await fetch(`${e.url}/metrics`)).text());

/** The stuck-read gauge of `count` successive snapshots (told apart by their timestamp). */
async function stuckOverSnapshots(e: RunningExporter, count: number): Promise<number[]> {
  const seen = new Map<number, number>();
  await eventually(
    async () => {
      const m = await metrics(e);
      const ts = m.get('tcpstate_snapshot_timestamp_seconds');
      if (ts !== undefined) seen.set(ts, m.get('tcpstate_stuck_reads')!);
      return seen.size >= count ? true : undefined;
    },
    20_000,
    `${count} snapshots`,
  );
  return [...seen.values()];
}

/** Writes `text` into the FIFO for the reader blocked on it (O_NONBLOCK: fails at once, ENXIO, if none is). */
function unblock(fifo: string, text: string): void {
  const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

describe.runIf(linux)('a socket table that never answers (net/tcp is a FIFO)', () => {
  it('publishes the other collectors, fails sockets with reason "timeout", holds one stuck read, and is not ready', async () => {
    const { root } = treeWithFifo('net/tcp');
    const e = await start(root);
    const m = await eventually(async () => {
      const s = await metrics(e);
      return s.get('tcpstate_collector_success{collector="sockets"}') === 0 ? s : undefined;
    });
    for (const c of ['sysctl', 'snmp', 'netstat', 'sockstat']) expect(m.get(`tcpstate_collector_success{collector="${c}"}`)).toBe(1);
    expect(m.get('tcpstate_sysctl_keepalive_time_seconds')).toBe(7200);
    expect([...m.keys()].some((k) => k.startsWith('tcpstate_sockets{'))).toBe(false);
    // Cycles go on at the interval; the read is never started again, so the count stays at 1.
    expect(await stuckOverSnapshots(e, 5)).toEqual([1, 1, 1, 1, 1]);

    const ready = await fetch(`${e.url}/readyz`);
    expect(ready.status).toBe(503);
    const reason = await ready.text();
    expect(reason).toMatch(/^not ready: the last cycle has no socket table \(sockets collector: timeout: .*open \S+\/net\/tcp for [\d.]+s\)\n$/);
    expect(reason.split('\n')).toHaveLength(2);
    const page = await (await fetch(`${e.url}/`)).text();
    expect(page).toMatch(/<td>sockets<\/td><td>timeout<\/td>/);
    expect(page).toMatch(/<h2>Stuck reads<\/h2>[\s\S]*\/net\/tcp<\/td><td>open<\/td>/);
    const failures = e.stderr().split('\n').filter((l) => l.includes('"collector":"sockets"') && l.includes('"msg":"collector failed"'));
    expect(JSON.parse(failures[0]!)).toMatchObject({ level: 'error', reason: 'timeout' });
    expect(failures.filter((l) => l.includes('"level":"error"'))).toHaveLength(1); // repeats at debug only
  }, 60_000);

  it('recovers when the read returns: the late run is dropped, the next cycle reads the table, nothing is stuck', async () => {
    const { root, fifo, original } = treeWithFifo('net/tcp');
    const e = await start(root);
    await eventually(async () => ((await metrics(e)).get('tcpstate_stuck_reads') === 1 ? true : undefined));
    // The file becomes readable, then the writer the hung open waits for arrives.
    writeFileSync(join(root, 'net/tcp.new'), original);
    renameSync(join(root, 'net/tcp.new'), join(root, 'net/tcp'));
    unblock(fifo, original);
    const m = await eventually(async () => {
      const s = await metrics(e);
      return s.get('tcpstate_collector_success{collector="sockets"}') === 1 ? s : undefined;
    });
    expect(m.get('tcpstate_stuck_reads')).toBe(0);
    expect(m.get('tcpstate_sockets{family="ipv4",state="established"}')).toBe(6);
    expect((await fetch(`${e.url}/readyz`)).status).toBe(200);
    expect(e.stderr()).toMatch(/"collector":"sockets".*"msg":"collector returned after its deadline; it runs again next cycle"/);
    expect(e.stderr()).toMatch(/"collector":"sockets".*"msg":"collector recovered"/);
  }, 60_000);

  it('ends on SIGTERM while the read hangs (exit 0, saying reads were still under way)', async () => {
    const { root } = treeWithFifo('net/tcp');
    const e = await start(root);
    await eventually(async () => ((await metrics(e)).get('tcpstate_stuck_reads') === 1 ? true : undefined));
    const code = await Promise.race([e.stop('SIGTERM'), new Promise<string>((r) => setTimeout(() => r('still running 25 s after SIGTERM'), 25_000))]);
    expect(code).toBe(0);
    expect(e.stderr()).toMatch(/"stuck_reads":1,"msg":"exiting with file reads still under way"/);
  }, 60_000);

  it('on SIGTERM during the first collection, ends without calling that abandoned collection done', async () => {
    const { root } = treeWithFifo('net/tcp');
    // A deadline far off: the first collection is still waiting on the FIFO when SIGTERM comes.
    const e = await start(root, ['--collector.timeout=60s']);
    await eventually(async () => ((await fetch(`${e.url}/readyz`)).status === 503 ? true : undefined));
    expect(await e.stop('SIGTERM')).toBe(0);
    expect(e.stderr()).toMatch(/"msg":"shutting down"/);
    expect(e.stderr()).not.toMatch(/first collection done/);
  }, 60_000);

  it('the snapshot command prints the other collectors, names the timeout, and exits 1', () => {
    const { root } = treeWithFifo('net/tcp');
    const r = spawnSync(CLI, ['snapshot', `--path.procfs=${root}`, '--collector.timeout=1s'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('dead peer noticed after 7875s');
    expect(r.stdout).toMatch(/FAILED COLLECTORS\n {2}sockets: timeout: did not return within 1s/);
  }, 40_000);
});

describe.runIf(linux)('a sysctl that never answers (tcp_keepalive_time is a FIFO)', () => {
  it('fails only sysctl with "timeout", keeps the socket table and readiness, one stuck read, and ends on SIGINT', async () => {
    const { root } = treeWithFifo('sys/net/ipv4/tcp_keepalive_time');
    const e = await start(root);
    expect(await stuckOverSnapshots(e, 4)).toEqual([1, 1, 1, 1]);
    const m = await metrics(e);
    expect(m.get('tcpstate_collector_success{collector="sysctl"}')).toBe(0);
    for (const c of ['sockets', 'snmp', 'netstat', 'sockstat']) expect(m.get(`tcpstate_collector_success{collector="${c}"}`)).toBe(1);
    expect(m.get('tcpstate_sockets{family="ipv4",state="established"}')).toBe(6);
    expect([...m.keys()].some((k) => k.startsWith('tcpstate_sysctl_'))).toBe(false);
    const ready = await fetch(`${e.url}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([200, 'ready\n']);
    expect(e.stderr()).toMatch(/"collector":"sysctl","reason":"timeout","err":"timeout: did not return within 1s/);
    const code = await Promise.race([e.stop('SIGINT'), new Promise<string>((r) => setTimeout(() => r('still running 25 s after SIGINT'), 25_000))]);
    expect(code).toBe(0);
  }, 60_000);
});

describe.runIf(linux)('a process name that never answers (proc-pods, 1/comm is a FIFO)', () => {
  it('times out the processes collector only; scrapes, readiness and SIGTERM are unaffected', async () => {
    const { root } = treeWithFifo('1/comm', 'proc-pods');
    const e = await start(root, ['--collector.processes']);
    const m = await eventually(async () => {
      const s = await metrics(e);
      return s.get('tcpstate_collector_success{collector="processes"}') === 0 && s.get('tcpstate_stuck_reads') === 1 ? s : undefined;
    });
    expect(m.get('tcpstate_collector_success{collector="sockets"}')).toBe(1);
    expect((await fetch(`${e.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${e.url}/readyz`)).status).toBe(200);
    expect(e.stderr()).toMatch(/"collector":"processes","reason":"timeout"/);
    const code = await Promise.race([e.stop('SIGTERM'), new Promise<string>((r) => setTimeout(() => r('still running 25 s after SIGTERM'), 25_000))]);
    expect(code).toBe(0);
  }, 60_000);
});
