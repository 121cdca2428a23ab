import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT } from '../../helpers/paths.js';
import { haveTool } from '../../helpers/tools.js';

/**
 * The one-shot view and the watch mode, on this host's real socket table, with a process of ours
 * that leaks CLOSE_WAIT sockets (test/helpers/socket_holder.py).
 */
const HOLDER = join(REPO_ROOT, 'test', 'helpers', 'socket_holder.py');
const linux = process.platform === 'linux';
const children: ChildProcess[] = [];

async function hold(name: string, established: number, closeWait: number): Promise<{ port: number; pid: number }> {
  const child = spawn('python3', [HOLDER, name, String(established), String(closeWait)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`socket_holder exited with ${code}`)));
  });
  return JSON.parse(line) as { port: number; pid: number };
}

const snapshot = (...args: string[]) => spawnSync(CLI, ['snapshot', ...args], { encoding: 'utf8', timeout: 60_000 });
const longest = (text: string): number => Math.max(...text.split('\n').map((l) => l.length));

describe.runIf(linux)('snapshot: process owners, 100 columns', () => {
  let leaky: { port: number; pid: number };
  beforeAll(async () => {
    leaky = await hold('leakyview', 3, 7);
  });
  afterAll(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });

  it('names the CLOSE_WAIT owner first in a PROCESSES section, and no line passes 100 columns', () => {
    const r = snapshot('--collector.processes');
    expect(r.status).toBe(0);
    expect(longest(r.stdout)).toBeLessThanOrEqual(100);
    const section = r.stdout.slice(r.stdout.indexOf('\nPROCESSES (top per state'));
    expect(section).toMatch(/\nSTATE\s+SOCKETS\s+PROCESS\n/);
    const rows = section.split('\n').filter((l) => /^[a-z_0-9]+\s+\d+\s+\S/.test(l));
    expect(rows[0]).toMatch(/^close_wait\s/); // CLOSE_WAIT owners come first
    expect(rows).toContainEqual(expect.stringMatching(/^close_wait\s+7\s+leakyview$/));
    expect(rows).toContainEqual(expect.stringMatching(/^established\s+6\s+leakyview$/));
    // The port table agrees: 7 CLOSE_WAIT, 3 ESTABLISHED and the listener on the holder's port.
    const server = r.stdout.slice(r.stdout.indexOf('SERVER PORTS'), r.stdout.indexOf('CLIENT PORTS')).split('\n');
    const header = server[1]!.split(/\s+/);
    const row = server.find((l) => l.startsWith(`${leaky.port} `))!.split(/\s+/);
    expect(Object.fromEntries(header.map((h, i) => [h, row[i]]))).toMatchObject({ 'CLOSE-W': '7', ESTAB: '3', LISTEN: '1', TOTAL: '11' });
  });

  it('with --collector.processes.pid, names the pid too', () => {
    const r = snapshot('--collector.processes', '--collector.processes.pid');
    expect(r.stdout).toMatch(new RegExp(`^close_wait\\s+7\\s+leakyview \\(pid ${leaky.pid}\\)$`, 'm'));
    expect(longest(r.stdout)).toBeLessThanOrEqual(100);
  });

  it('--wide shows every state column', () => {
    const r = snapshot('--wide');
    expect(r.stdout).toMatch(/SERVER PORTS.*\nPORT\s+TOTAL\s+ESTAB\s+SYN-S\s+SYN-R\s+FIN-W1\s+FIN-W2\s+TIME-W\s+CLOSE\s+CLOSE-W\s+LAST-A\s+LISTEN\s+CLOSING\n/);
    // The default view of the same table stays within 100 columns.
    expect(longest(snapshot().stdout)).toBeLessThanOrEqual(100);
  });
});

/** Frames of `watch` read from a pipe: each starts with its "== frame N" line. */
class Frames {
  readonly child: ChildProcess;
  private text = '';
  constructor(args: readonly string[]) {
    this.child = spawn(CLI, ['watch', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(this.child);
    this.child.stdout!.on('data', (d: Buffer) => (this.text += d.toString()));
  }
  /** Complete frames so far (the last one is complete once the next has begun). */
  complete(): string[] {
    const parts = this.text.split(/(?=^== frame \d+)/m).filter((p) => p.startsWith('== frame'));
    return parts.slice(0, -1);
  }
  async waitFor(n: number, timeoutMs = 60_000): Promise<string[]> {
    const until = Date.now() + timeoutMs;
    while (this.complete().length < n) {
      if (Date.now() > until) throw new Error(`watch: ${this.complete().length} frames after ${timeoutMs} ms:\n${this.text.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return this.complete();
  }
}

describe.runIf(linux)('watch: redraws every interval with per-port changes since the last draw', () => {
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });

  it('shows a new CLOSE_WAIT leak as changes on its port, within 100 columns, and exits 0 on Ctrl-C', async () => {
    // Every server port by number: the test runs in the host's namespace, where the suite's other
    // files hold listeners of their own; past the 50-port default cap the leak's port could stay
    // in "other" behind ports that hold their slots (seen once, on a loaded CI run).
    const frames = new Frames(['--collector.interval=1s', '--collector.ports.max-server=10000']);
    const [first] = await frames.waitFor(1);
    expect(first).toMatch(/^== frame 1, every 1s; Ctrl-C quits ==\ntcpstate snapshot at /);
    expect(first).not.toContain('CHANGES SINCE LAST DRAW');
    const seen = frames.complete().length;
    const leak = await hold('watchleak', 0, 5);
    // The leak may be caught half-built by one frame: its changes add up over the frames after it.
    const changes = { closeWait: 0, listen: 0 };
    let frame = seen;
    let last = '';
    while (changes.closeWait < 5 || changes.listen < 1) {
      const all = await frames.waitFor(frame + 1);
      last = all[frame]!;
      frame++;
      expect(last).toMatch(new RegExp(`^== frame ${frame}, every 1s, changes since frame ${frame - 1}; Ctrl-C quits ==\\n`));
      expect(longest(last)).toBeLessThanOrEqual(100);
      const line = new RegExp(`^ {2}server ${leak.port}: (.*)$`, 'm').exec(last)?.[1] ?? '';
      changes.closeWait += Number(/CLOSE-W \+(\d+)/.exec(line)?.[1] ?? 0);
      changes.listen += Number(/LISTEN \+(\d+)/.exec(line)?.[1] ?? 0);
      if (frame > seen + 10) break;
    }
    expect(changes).toEqual({ closeWait: 5, listen: 1 });
    // That port's row in the last frame's table: 6 sockets, 5 in CLOSE_WAIT.
    const server = last.slice(last.indexOf('SERVER PORTS'), last.indexOf('CLIENT PORTS')).split('\n');
    const header = server[1]!.split(/\s+/);
    const row = server.find((l) => l.startsWith(`${leak.port} `))!.split(/\s+/);
    expect(header.slice(0, 3)).toEqual(['PORT', 'TOTAL', 'CHANGE']);
    expect(Object.fromEntries(header.map((h, i) => [h, row[i]]))).toMatchObject({ TOTAL: '6', 'CLOSE-W': '5', LISTEN: '1' });
    const exit = new Promise<number | null>((r) => frames.child.once('exit', (code) => r(code)));
    frames.child.kill('SIGINT');
    expect(await exit).toBe(0);
  }, 120_000);

  it.runIf(linux && haveTool('script'))('on a terminal, clears the screen before each frame', async () => {
    // script(1) runs it on a pseudo-terminal of its own and copies what it draws to our pipe.
    const child = spawn('script', ['-q', '-e', '-c', `${CLI} watch --collector.interval=500ms --no-collector.sysctl`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const until = Date.now() + 60_000;
    while ((out.match(/== frame \d+/g) ?? []).length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const starts = out.split('\x1b[H\x1b[2J').slice(1);
    expect(starts.length).toBeGreaterThanOrEqual(2);
    expect(starts[0]).toMatch(/^== frame 1, /);
    expect(starts[1]).toMatch(/^== frame 2, /);
  }, 90_000);

  it.runIf(linux && haveTool('script'))('on a terminal, keeps the start-up warnings in view: under every frame, not only before the first', async () => {
    // stderr goes to the same terminal: the warning is written before frame 1, whose clear-screen wipes it.
    const child = spawn('script', ['-q', '-e', '-c', `${CLI} watch --collector.interval=500ms --no-collector.sysctl --collector.processes.top=3`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const until = Date.now() + 60_000;
    while ((out.match(/== frame \d+/g) ?? []).length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    // What stays on the screen is what follows the last clear-screen: frames 1 and 2, each complete.
    const frames = out.replace(/\r/g, '').split('\x1b[H\x1b[2J').slice(1, 3);
    expect(frames).toHaveLength(2);
    for (const frame of frames) {
      const log = frame.slice(frame.indexOf('\nLOG (since start; also on stderr)\n'));
      expect(log).toMatch(/^\nLOG /);
      expect(log.replace(/\n {4}/g, ' ')).toMatch(/^ {2}ts=\S+ level=warn msg="--collector.processes.top has no effect without --collector.processes, which is off"/m);
      expect(longest(frame)).toBeLessThanOrEqual(100);
    }
  }, 90_000);
});
