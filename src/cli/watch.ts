import { setTimeout as sleep } from 'node:timers/promises';
import type { SocketSummary } from '../aggregate/socketSummary.js';
import type { ExporterConfig } from '../config.js';
import { exitProcess } from '../runtime/exit.js';
import type { SnapshotPoller } from '../snapshot/poller.js';
import { portChanges } from './portChanges.js';
import { renderSnapshotTable } from './snapshotReport.js';

/** ANSI: cursor home, clear the screen. */
const CLEAR = '\x1b[H\x1b[2J';

/**
 * `tcpstate-exporter watch`: collects every --collector.interval and redraws the snapshot table,
 * with each port's changes since the previous frame (a CHANGE column and a CHANGES section). On
 * a terminal each frame replaces the last; into a pipe, frames follow each other, each opened by
 * its `== frame N` line. Runs until SIGINT (Ctrl-C) or SIGTERM, then exits 0.
 */
export async function watchCommand(config: ExporterConfig, poller: SnapshotPoller, out: NodeJS.WriteStream = process.stdout): Promise<number> {
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
    const title = `== frame ${frame}, every ${config.intervalMs / 1000}s${frame === 1 ? '' : `, changes since frame ${frame - 1}`}; Ctrl-C quits ==`;
    out.write(`${out.isTTY ? CLEAR : frame === 1 ? '' : '\n'}${title}\n${renderSnapshotTable(snapshot, { wide: config.wide, ...(changes ? { changes } : {}) })}`);
    if (current) previous = current;
    await sleep(Math.max(0, config.intervalMs - (Date.now() - started)));
  }
}
