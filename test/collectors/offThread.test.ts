import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PORT_LIMITS } from '../../src/aggregate/socketSummary.js';
import { OffThreadSocketsCollector } from '../../src/collectors/offThreadSocketsCollector.js';
import { SocketsCollector } from '../../src/collectors/socketsCollector.js';
import { ProcfsSocketSource } from '../../src/sources/procfsSocketSource.js';
import { writeSyntheticProcfs } from '../../bench/syntheticProcfs.js';
import { silentLogger } from '../helpers/collect.js';
import { fixture, REPO_ROOT } from '../helpers/paths.js';

// Worker threads run JavaScript: the suite's build (npm test builds first) provides the worker.
const WORKER = pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'collectors', 'socketsWorker.js'));

describe('OffThreadSocketsCollector', () => {
  let collector: OffThreadSocketsCollector | undefined;
  afterEach(async () => collector?.close());

  it('returns what the in-thread collector returns', async () => {
    collector = new OffThreadSocketsCollector({ source: 'auto', procfs: fixture('proc'), limits: DEFAULT_PORT_LIMITS, logLevel: 'info' }, silentLogger, WORKER);
    expect(await collector.start()).toMatchObject({ primary: 'procfs', fallback: undefined });
    const ctx = { procfs: fixture('proc'), log: silentLogger };
    const offThread = await collector.collect(ctx);
    const inThread = await new SocketsCollector({ primary: new ProcfsSocketSource(fixture('proc')) }, DEFAULT_PORT_LIMITS).collect(ctx);
    expect(offThread).toEqual(inThread);
  });

  it('relays the worker\'s log records through the main logger', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }));
    collector = new OffThreadSocketsCollector({ source: 'auto', procfs: fixture('proc-broken'), limits: DEFAULT_PORT_LIMITS, logLevel: 'info' }, log, WORKER);
    await collector.collect({ procfs: fixture('proc-broken'), log });
    const relayed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r['msg'] === 'skipped malformed socket lines');
    expect(relayed).toMatchObject({ level: 40, table: 'net/tcp', malformed: 6, thread: 'sockets' });
  });

  it('fails the collection in flight when the worker dies, and starts a new worker next cycle', async () => {
    // A table large enough that the walk is surely still running when the worker is killed.
    const big = mkdtempSync(join(tmpdir(), 'tcpstate-offthread-'));
    try {
      writeSyntheticProcfs(big, 200_000);
      collector = new OffThreadSocketsCollector({ source: 'procfs', procfs: big, limits: DEFAULT_PORT_LIMITS, logLevel: 'info' }, silentLogger, WORKER);
      await collector.start();
      const ctx = { procfs: big, log: silentLogger };
      const inFlight = collector.collect(ctx);
      await new Promise((r) => setTimeout(r, 20));
      await (collector as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      await expect(inFlight).rejects.toThrow(/worker exited/);
      const next = await collector.collect(ctx);
      expect(next.summary.byFamily.ipv4.reduce((a, b) => a + b) + next.summary.byFamily.ipv6.reduce((a, b) => a + b)).toBe(200_000);
    } finally {
      rmSync(big, { recursive: true, force: true });
    }
  });
});
