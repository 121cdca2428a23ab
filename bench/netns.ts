import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Whether this process may create network namespaces (root with iproute2). */
export function canCreateNetns(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  return spawnSync('ip', ['netns', 'list']).status === 0;
}

/**
 * A network namespace of our own (benchmark or test): its sockets and sysctls are private, so a
 * million-socket table can be built without touching the host, and everything is removed after.
 */
export class Netns {
  readonly name: string;
  private readonly children: ChildProcess[] = [];

  constructor(prefix: string, sysctls: Readonly<Record<string, string>> = {}) {
    this.name = `${prefix}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
    must('ip', ['netns', 'add', this.name]);
    must('ip', ['-n', this.name, 'link', 'set', 'lo', 'up']);
    for (const [key, value] of Object.entries(sysctls)) must('ip', ['netns', 'exec', this.name, 'sysctl', '-q', '-w', `${key}=${value}`]);
  }

  /**
   * Runs a command inside the namespace to completion. With a timeout, coreutils' timeout runs it
   * in a process group of its own and kills the whole group: a reference that forks (ss,
   * systeminformation's netstat) must not go on eating a CPU while the next measurement runs.
   */
  exec(command: string, args: readonly string[], timeoutMs?: number): { stdout: string; stderr: string; status: number | null; ms: number; timedOut: boolean } {
    const t0 = performance.now();
    const timed = timeoutMs ? ['timeout', '-s', 'KILL', `${Math.ceil(timeoutMs / 1000)}s`] : [];
    const r = spawnSync('ip', ['netns', 'exec', this.name, ...timed, command, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
    // timeout exits 124 (or 137), or, killing its whole group, is itself killed by SIGKILL.
    const timedOut = timeoutMs !== undefined && (r.status === 124 || r.status === 137 || r.signal === 'SIGKILL');
    return { stdout: r.stdout, stderr: r.stderr, status: r.status, ms: performance.now() - t0, timedOut };
  }

  /** As exec, but a failure throws; wall time in ms. */
  run(command: string, args: readonly string[]): { stdout: string; ms: number } {
    const r = this.exec(command, args);
    if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return { stdout: r.stdout, ms: r.ms };
  }

  /** Starts a long-running command in the namespace (`ip netns exec` execs it: the pid is the command's). */
  /**
   * Starts a command inside the namespace. `prefix` runs first, outside it, and must exec its
   * arguments (e.g. MemoryCgroup.prefix(): `ip netns exec` remounts /sys, so a cgroup is joined
   * before entering); the child keeps one pid through the execs.
   */
  start(command: string, args: readonly string[], prefix: readonly string[] = []): ChildProcess {
    const argv = [...prefix, 'ip', 'netns', 'exec', this.name, command, ...args];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.push(child);
    return child;
  }

  /** Starts a command and resolves with its first stdout line that matches. */
  async startUntil(command: string, args: readonly string[], ready: RegExp, stream: 'stdout' | 'stderr' = 'stdout', prefix: readonly string[] = []): Promise<{ child: ChildProcess; line: string }> {
    const child = this.start(command, args, prefix);
    const rl = createInterface({ input: child[stream]! });
    let errors = '';
    child.stderr!.on('data', (d: Buffer) => {
      errors = (errors + d.toString()).slice(-2000);
    });
    const line = await new Promise<string>((resolve, reject) => {
      rl.on('line', (l) => {
        if (ready.test(l)) resolve(l);
      });
      child.once('exit', (code) => reject(new Error(`${command} exited with ${code} before it was ready: ${errors}`)));
    });
    return { child, line };
  }

  /** Kills everything running in the namespace, then deletes it. */
  destroy(): void {
    for (const c of this.children) c.kill('SIGKILL');
    const pids = spawnSync('ip', ['netns', 'pids', this.name], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    }
    spawnSync('ip', ['netns', 'del', this.name]);
  }
}

function must(command: string, args: readonly string[]): void {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr}`);
}

/**
 * Memory of a process in MB: peak resident set (VmHWM), and its current private part (RssAnon)
 * and file-backed part (RssFile: mapped pages of the Node.js binary and libraries, shared by
 * every process that maps them).
 */
export function processMemory(pid: number): { peakMb: number; privateMb: number; fileMb: number } {
  const status = spawnSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' }).stdout;
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  return { peakMb: kb('VmHWM'), privateMb: kb('RssAnon'), fileMb: kb('RssFile') };
}
