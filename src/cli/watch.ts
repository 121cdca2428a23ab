import { setTimeout as sleep } from 'node:timers/promises';
import type { SocketSummary } from '../aggregate/socketSummary.js';
import type { ExporterConfig } from '../config.js';
import { exitProcess } from '../runtime/exit.js';
import type { SnapshotPoller } from '../snapshot/poller.js';
import type { HeldLog } from './heldLog.js';
import { portChanges } from './portChanges.js';
import { DEFAULT_WIDTH, renderSnapshotTable } from './snapshotReport.js';

/** ANSI: cursor home, clear the screen. */
const CLEAR = '\x1b[H\x1b[2J';

/**
 * `tcpstate-exporter watch`: collects every --collector.interval and redraws the snapshot table,
 * with each port's changes since the previous frame (a CHANGE column and a CHANGES section). On
 * a terminal each frame replaces the last, and `log` (the lines logged since start) is shown
 * again under each; into a pipe, frames follow each other, each opened by its `== frame N`
 * line. Runs until SIGINT (Ctrl-C) or SIGTERM, then exits 0.
 */
export async function watchCommand(config: ExporterConfig, poller: SnapshotPoller, out: NodeJS.WriteStream = process.stdout, log?: HeldLog): Promise<number> {
  const quit = (): void => {
    if (out.isTTY) out.write('\n');
    void exitProcess(0);
  };
  process.once('SIGINT', quit);
  process.once('SIGTERM', quit);
  let previous: SocketSummary | undefined;
  for (let frame = 1; ; frame++) {
    const started = Date.now();
    const snapshot = await poller.collectOnce();
    const current = snapshot.data.sockets?.summary;
    const changes = frame === 1 ? undefined : previous && current ? portChanges(previous, current) : [];
    const table = renderSnapshotTable(snapshot, { wide: config.wide, ...(changes ? { changes } : {}) });
    out.write(renderWatchFrame({ frame, intervalMs: config.intervalMs, wide: config.wide, tty: out.isTTY === true, table, ...(log ? { log } : {}) }));
    if (current) previous = current;
    await sleep(Math.max(0, config.intervalMs - (Date.now() - started)));
  }
}

/** What renderWatchFrame draws: frame number (from 1), interval in ms, the rendered table. */
export interface WatchFrame {
  frame: number;
  intervalMs: number;
  wide: boolean;
  /** Whether `out` is a terminal: each frame then clears the screen first. */
  tty: boolean;
  table: string;
  log?: HeldLog;
}

/**
 * One frame as written: on a terminal, clear-screen, title, table and the held log under it
 * (under, not above: a table taller than the terminal scrolls its top off, never its end);
 * into a pipe, title and table after a blank line, and no log (stderr has it, and nothing is
 * wiped).
 */
export function renderWatchFrame(f: WatchFrame): string {
  const title = `== frame ${f.frame}, every ${f.intervalMs / 1000}s${f.frame === 1 ? '' : `, changes since frame ${f.frame - 1}`}; Ctrl-C quits ==`;
  if (!f.tty) return `${f.frame === 1 ? '' : '\n'}${title}\n${f.table}`;
  const held = f.log?.section(f.wide ? Infinity : DEFAULT_WIDTH) ?? [];
  return `${CLEAR}${title}\n${f.table}${held.map((l) => `${l}\n`).join('')}`;
}
