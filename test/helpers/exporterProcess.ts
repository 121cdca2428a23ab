import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './paths.js';

export interface RunningExporter {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  /** Sends the signal (SIGTERM by default) and resolves with the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/**
 * Starts the built binary (exec'd as the package's bin, shebang flags and all) on a free loopback
 * port and waits until it is listening. `env` replaces the environment (e.g. a PATH that puts
 * another Node.js first, which the shebang's `env node` then runs).
 */
export async function startExporter(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<RunningExporter> {
  const child = spawn(CLI, ['--web.listen-address=127.0.0.1:0', '--log.format=json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(env ? { env } : {}),
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // never leave a half-started exporter behind
      reject(new Error(`exporter did not start:\n${err}`));
    }, 15_000);
    const check = (): void => {
      const m = /"url":"(https?:\/\/[^"]+)"/.exec(err);
      if (m) {
        clearTimeout(timer);
        child.stderr!.off('data', check);
        resolve(m[1]!);
      }
    };
    child.stderr!.on('data', check);
    void exited.then((code) => reject(new Error(`exporter exited with ${code}:\n${err}`)));
  });
  return {
    url,
    child,
    stderr: () => err,
    stop: async (signal = 'SIGTERM') => {
      child.kill(signal);
      return exited;
    },
  };
}

/** Polls `fn` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
