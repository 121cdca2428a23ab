import { describe, expect, it } from 'vitest';
import { HeldLog } from '../../../src/cli/heldLog.js';
import { renderWatchFrame } from '../../../src/cli/watch.js';
import { createLogger } from '../../../src/server/logger.js';

const CLEAR = '\x1b[H\x1b[2J';

/** A HeldLog in front of a fake stderr, fed by the exporter's own logger (pino, logfmt). */
function logged(...warnings: string[]): { held: HeldLog; stderr: string[] } {
  const stderr: string[] = [];
  const held = new HeldLog({ write: (s: string) => stderr.push(s) });
  const log = createLogger('warn', 'logfmt', held);
  for (const w of warnings) log.warn({ flag: '--x' }, w);
  log.info('below the level: neither written nor held');
  return { held, stderr };
}

const frame = (n: number, tty: boolean, held?: HeldLog): string =>
  renderWatchFrame({ frame: n, intervalMs: 2000, wide: false, tty, table: 'TABLE\n', ...(held ? { log: held } : {}) });

describe('watch frames and the log lines they keep in view', () => {
  it('on a terminal, shows what was logged under every frame, after the clear-screen', () => {
    const { held, stderr } = logged('--collector.processes.top has no effect without --collector.processes, which is off');
    expect(stderr).toHaveLength(1);
    for (const n of [1, 2, 7]) {
      const text = frame(n, true, held);
      expect(text.startsWith(`${CLEAR}== frame ${n}, every 2s`)).toBe(true);
      expect(text.split(CLEAR)).toHaveLength(2);
      const after = text.slice(text.indexOf('TABLE\n') + 'TABLE\n'.length).split('\n');
      expect(after[0]).toBe('');
      expect(after[1]).toBe('LOG (since start; also on stderr)');
      expect(after.slice(2).join(' ').replace(/\s+/g, ' ')).toMatch(/^ ts=\S+ level=warn msg="--collector.processes.top has no effect without --collector.processes, which is off" flag=--x $/);
    }
  });

  it('keeps each line within 100 columns unless --wide', () => {
    const long = `a warning ${'word '.repeat(40)}end`;
    const { held } = logged(long);
    const text = frame(2, true, held);
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(text).toContain('\n    ');
    const wide = renderWatchFrame({ frame: 2, intervalMs: 2000, wide: true, tty: true, table: 'TABLE\n', log: held });
    expect(wide).toContain(`msg="${long}"`);
  });

  it('has no LOG section when nothing was logged', () => {
    expect(frame(3, true, logged().held)).toBe(`${CLEAR}== frame 3, every 2s, changes since frame 2; Ctrl-C quits ==\nTABLE\n`);
  });

  it('into a pipe, leaves the log to stderr: nothing is wiped there', () => {
    const { held } = logged('a warning');
    expect(frame(1, false, held)).toBe('== frame 1, every 2s; Ctrl-C quits ==\nTABLE\n');
    expect(frame(2, false, held)).toBe('\n== frame 2, every 2s, changes since frame 1; Ctrl-C quits ==\nTABLE\n');
  });

  it('keeps the first lines, the start-up warnings, and counts the rest; stderr gets every one', () => {
    const warnings = Array.from({ length: 14 }, (_, i) => `warning ${i + 1}`);
    const { held, stderr } = logged(...warnings);
    expect(stderr).toHaveLength(14);
    const section = held.section(100);
    expect(section.filter((l) => l.includes('level=warn'))).toHaveLength(10);
    expect(section.join('\n')).toContain('msg="warning 1"');
    expect(section.join('\n')).toContain('msg="warning 10"');
    expect(section.join('\n')).not.toContain('msg="warning 11"');
    expect(section.at(-1)).toBe('  … and 4 more lines on stderr');
  });
});
