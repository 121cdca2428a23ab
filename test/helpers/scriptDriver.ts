import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Netns } from '../../bench/netns.js';

/**
 * A python3 script running in a network namespace, driven a line at a time: each command written
 * to its stdin is answered by one JSON line on its stdout. The script reads commands with
 * `for line in sys.stdin` and prints one `json.dumps(...)` line (flushed) per command. It is
 * killed with the namespace (Netns.destroy()).
 */
export class ScriptDriver {
  private readonly waiting: Array<{ resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }> = [];
  private errors = '';

  private constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const w = this.waiting.shift();
      if (!w) return;
      try {
        w.resolve(JSON.parse(line) as Record<string, unknown>);
      } catch {
        w.reject(new Error(`not a JSON reply: ${line}`));
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.errors = (this.errors + d.toString()).slice(-4000);
    });
    child.once('exit', (code) => {
      for (const w of this.waiting.splice(0)) w.reject(new Error(`script exited with ${code}: ${this.errors}`));
    });
  }

  static start(ns: Netns, script: string): ScriptDriver {
    return new ScriptDriver(ns.start('python3', ['-u', '-c', script]));
  }

  /** Sends one command and resolves with the script's reply. */
  send(command: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin!.write(`${command}\n`);
    });
  }
}
