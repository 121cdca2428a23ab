import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startExporter } from '../../helpers/exporterProcess.js';
import { CLI, fixture, REPO_ROOT } from '../../helpers/paths.js';
import { haveTool } from '../../helpers/tools.js';

const PROC = `--path.procfs=${fixture('proc')}`;
const run = (...args: string[]) => spawnSync(CLI, args, { encoding: 'utf8', timeout: 20_000 });
const hasIpv6Loopback = spawnSync('sh', ['-c', 'ip -6 addr show dev lo | grep -q "inet6 ::1"']).status === 0;

/** The URLs of the 'tcpstate-exporter listening' lines in a JSON log. */
function listeningUrls(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.includes('"msg":"tcpstate-exporter listening"'))
    .map((l) => (JSON.parse(l) as { url: string }).url);
}

async function metricsOf(url: string): Promise<string> {
  return eventually(async () => {
    const body = await (await fetch(`${url}/metrics`)).text();
    return /^tcpstate_sockets\{/m.test(body) ? body : undefined;
  });
}

describe('several --web.listen-address flags', () => {
  it('listens on every one, reports each in the log, and serves the same metrics on each', async () => {
    const second = hasIpv6Loopback ? '[::1]:0' : '127.0.0.2:0';
    // startExporter gives --web.listen-address=127.0.0.1:0 first.
    const exporter = await startExporter([PROC, `--web.listen-address=${second}`, '--web.listen-address=127.0.0.3:0']);
    try {
      const urls = await eventually(async () => {
        const u = listeningUrls(exporter.stderr());
        return u.length === 3 ? u : undefined;
      });
      expect(urls[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(urls[1]).toMatch(hasIpv6Loopback ? /^http:\/\/\[::1\]:\d+$/ : /^http:\/\/127\.0\.0\.2:\d+$/);
      expect(urls[2]).toMatch(/^http:\/\/127\.0\.0\.3:\d+$/);
      const bodies = await Promise.all(urls.map(metricsOf));
      const families = (b: string) => b.split('\n').filter((l) => l.startsWith('# TYPE tcpstate_'));
      for (const b of bodies) expect(families(b)).toEqual(families(bodies[0]!));
    } finally {
      expect(await exporter.stop()).toBe(0);
    }
  });

  it('exits 2 with one line naming a bad one, before listening anywhere', () => {
    const r = run(PROC, '--web.listen-address=127.0.0.1:0', '--web.listen-address=localhost');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^tcpstate-exporter: error: --web.listen-address: "localhost" is not host:port$/m);
    expect(r.stderr).not.toMatch(/listening/);
  });

  it('exits 2 for the same address given twice', () => {
    const r = run(PROC, '--web.listen-address=127.0.0.1:9', '--web.listen-address=127.0.0.1:9');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/"127.0.0.1:9" given twice/);
  });

  describe('an address that cannot be listened on', () => {
    let busy: Server;
    afterAll(() => new Promise<void>((resolve) => (busy ? busy.close(() => resolve()) : resolve())));

    it('exits 2 with one line naming it and closes the others (every address or none)', async () => {
      busy = createServer();
      await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
      const port = (busy.address() as { port: number }).port;
      const r = run(PROC, '--web.listen-address=127.0.0.1:0', `--web.listen-address=127.0.0.1:${port}`);
      // spawnSync returned: the process exited although its first server had been listening.
      expect(r.status).toBe(2);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('tcpstate-exporter: error:'));
      expect(lines).toEqual([`tcpstate-exporter: error: --web.listen-address=127.0.0.1:${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port}`]);
      expect(r.stderr).not.toMatch(/msg="tcpstate-exporter listening"/);
    });
  });
});

describe.runIf(haveTool('python3'))('--web.systemd-socket', () => {
  const launcher = join(REPO_ROOT, 'test', 'helpers', 'socket_activate.py');

  it('serves on the listening socket passed as fd 3 with LISTEN_FDS/LISTEN_PID, ignoring --web.listen-address', async () => {
    const child = spawn('python3', [launcher, CLI, '--web.systemd-socket', '--web.listen-address=127.0.0.1:1', '--log.format=json', PROC], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const { port } = await eventually(async () => (stdout.includes('\n') ? (JSON.parse(stdout.split('\n')[0]!) as { port: number }) : undefined));
      const urls = await eventually(async () => {
        const u = listeningUrls(stderr);
        return u.length > 0 ? u : undefined;
      });
      expect(urls).toEqual([`http://127.0.0.1:${port}`]);
      expect(stderr).toMatch(/"systemd_socket_fd":3/);
      expect(await metricsOf(urls[0]!)).toMatch(/^tcpstate_collector_success\{collector="sockets"\} 1$/m);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('refuses, with one line and exit 2, when the sockets were meant for another process', () => {
    const r = spawnSync('python3', [launcher, '--listen-pid=other', CLI, '--web.systemd-socket', PROC], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^tcpstate-exporter: error: --web.systemd-socket: no socket activation file descriptors found \(LISTEN_PID=\d+ is not this process, \d+\)$/m);
  });

  it('refuses, with one line and exit 2, when started without socket activation', () => {
    const r = run('--web.systemd-socket', PROC);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--web.systemd-socket: no socket activation file descriptors found \(LISTEN_PID and LISTEN_FDS are not set/);
  });
});

/** One GET over a UNIX socket. */
function getUnix(socketPath: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.runIf(haveTool('systemd-socket-activate'))('under systemd-socket-activate (what a .socket unit does)', () => {
  // Made in beforeAll, not at collection: a skipped or filtered-out block would leave it behind.
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tcpstate-activate-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is started by the first connection to the socket, answers it, and serves metrics on it', async () => {
    const socketPath = join(dir, 'exporter.sock');
    // Without --accept it execs the exporter in its own process on the first connection, passing
    // the listening UNIX socket as fd 3: the exporter must accept that connection too.
    const child = spawn('systemd-socket-activate', ['-l', socketPath, CLI, '--web.systemd-socket', '--log.format=json', PROC], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await eventually(async () => (stderr.includes(`Listening on ${socketPath} as 3.`) ? true : undefined));
      expect(await getUnix(socketPath, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
      expect(stderr).toMatch(/"systemd_socket_fd":3/);
      const metrics = await eventually(async () => {
        const r = await getUnix(socketPath, '/metrics');
        return /^tcpstate_sockets\{/m.test(r.body) ? r : undefined;
      });
      expect(metrics.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
