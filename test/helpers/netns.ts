import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Whether this process may create network namespaces (root with iproute2). */
export function canCreateNetns(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  return spawnSync('ip', ['netns', 'list']).status === 0;
}

/** A network namespace of the test's own, with loopback up; removed by destroy(). */
export class TestNetns {
  readonly name = `tcpstate-test-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  private readonly children: ChildProcess[] = [];

  constructor() {
    run('ip', ['netns', 'add', this.name]);
    run('ip', ['-n', this.name, 'link', 'set', 'lo', 'up']);
  }

  /** Runs a command inside the namespace to completion. */
  exec(command: string, args: readonly string[]): { stdout: string; stderr: string; status: number | null } {
    const r = spawnSync('ip', ['netns', 'exec', this.name, command, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
    return { stdout: r.stdout, stderr: r.stderr, status: r.status };
  }

  /** Starts a long-running command inside the namespace and waits for its first stdout line. */
  async spawnUntilLine(command: string, args: readonly string[]): Promise<string> {
    const child = spawn('ip', ['netns', 'exec', this.name, command, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.children.push(child);
    const rl = createInterface({ input: child.stdout! });
    return new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`${command} exited with ${code} before it was ready`)));
    });
  }

  destroy(): void {
    for (const c of this.children) c.kill('SIGKILL');
    spawnSync('ip', ['netns', 'pids', this.name], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .forEach((pid) => {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      });
    spawnSync('ip', ['netns', 'del', this.name]);
  }
}

function run(command: string, args: readonly string[]): void {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr}`);
}
