import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A JSON object a helper script printed on one stdout line. */
export type HelperLine = Record<string, unknown>;

/**
 * A helper script (test/helpers/*.py) run as a child: every JSON line it prints on stdout is kept,
 * lines can be awaited, commands written to its stdin. Non-JSON lines are ignored; stderr is kept
 * (the last 4 KiB) for error messages.
 */
export class HelperProcess {
  readonly lines: HelperLine[] = [];
  readonly exited: Promise<number | null>;
  private stderrTail = '';
  private readonly waiters = new Set<() => void>();
  private exitCode: number | null | undefined;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const parsed: unknown = JSON.parse(line);
        if (typeof parsed === 'object' && parsed !== null) this.lines.push(parsed as HelperLine);
      } catch {
        return;
      }
      this.wake();
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-4096);
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exitCode = code;
        this.wake();
        resolve(code);
      }),
    );
  }

  /**
   * Resolves with the first line that `match` accepts among those printed from the `from`th on
   * (0: including every line already printed; `lines.length`: only lines still to come). Rejects
   * if the process exits first or after `timeoutMs`, with its stderr.
   */
  async line(match: (line: HelperLine) => boolean, timeoutMs: number, what = 'line', from = 0): Promise<HelperLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find(match);
      if (found) return found;
      if (this.exitCode !== undefined) throw new Error(`${this.name} exited (${this.exitCode}) before printing ${what}: ${this.stderrTail}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no ${what} within ${timeoutMs} ms: ${this.stderrTail}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        const waiters = this.waiters;
        function done(): void {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }

  /** Writes one command line to the helper's stdin. */
  send(command: string): void {
    this.child.stdin!.write(`${command}\n`);
  }

  /** Kills the helper (SIGKILL unless told) and resolves when it has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.exitCode === undefined) this.child.kill(signal);
    return this.exited;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
