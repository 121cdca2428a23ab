import { wrap } from './textTable.js';

/** Lines a HeldLog keeps; the rest are only counted (they are on stderr). */
const MAX_HELD_LINES = 10;

/**
 * The log destination of `watch` (createLogger's `out`): every line goes on to `out` (stderr) as
 * it comes, and the first MAX_HELD_LINES are also kept, because on a terminal each frame clears
 * the screen, and the warnings written before the first frame (an inert flag, the socket table
 * of the wrong namespace, systeminformation instead of netlink) would be wiped before anyone
 * read them. The first lines are kept, not the last: those are the start-up warnings. pino
 * writes one record per write(), so one line, newline included.
 */
export class HeldLog {
  private readonly held: string[] = [];
  private notHeld = 0;

  constructor(private readonly out: { write(s: string): unknown } = process.stderr) {}

  write(line: string): void {
    this.out.write(line);
    if (this.held.length < MAX_HELD_LINES) this.held.push(line.replace(/\n$/, ''));
    else this.notHeld++;
  }

  /**
   * The lines logged so far as a section to show under a frame: a LOG heading, each line wrapped
   * at `width` columns (continuations indented) and the count of those not kept; [] when
   * nothing was logged.
   */
  section(width: number): string[] {
    if (this.held.length === 0) return [];
    const out = ['', 'LOG (since start; also on stderr)'];
    for (const line of this.held) out.push(...wrap(`  ${line}`, width, '    '));
    if (this.notHeld > 0) out.push(`  … and ${this.notHeld} more lines on stderr`);
    return out;
  }
}
