import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Netns } from '../../bench/netns.js';
import { REPO_ROOT } from './paths.js';

const HOLDER = join(REPO_ROOT, 'test', 'helpers', 'socket_holder.py');

/** A running socket_holder.py: its process, the port it listens on and its pid. */
export interface Held {
  child: ChildProcess;
  port: number;
  pid: number;
}

/**
 * Starts `socket_holder.py NAME ESTABLISHED CLOSE_WAIT` (on the host, or in a network namespace
 * of ours through `ip netns exec`) and waits for its ready line; rejects if it exits first.
 */
export async function holdSockets(args: readonly string[], ns?: Netns): Promise<Held> {
  const child = ns ? ns.start('python3', [HOLDER, ...args]) : spawn('python3', [HOLDER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`socket_holder exited with ${code}`)));
  });
  const { port, pid } = JSON.parse(line) as { port: number; pid: number };
  return { child, port, pid };
}
