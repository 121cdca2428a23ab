import { describe, expect, it } from 'vitest';
import { NO_SERIES_HYSTERESIS } from '../../../src/aggregate/portSeries.js';
import { ConnectionsCollector } from '../../../src/collectors/connectionsCollector.js';
import { newClosedSocket } from '../../../src/model/closedSocket.js';
import type { DestroyEventHandler, DestroyEventReader } from '../../../src/sources/netlink/socketDestroyEvents.js';
import { fixture } from '../../helpers/paths.js';
import { recordingLog, silentLogger } from '../../helpers/collect.js';

/** A reader the test drives: it hands batches to the collector's handler as the real one would. */
function scriptedReader() {
  let handler: DestroyEventHandler | undefined;
  let drops = 0;
  let failure: Error | undefined;
  let stopped = 0;
  const reader: DestroyEventReader = {
    counts: { datagrams: 0, truncated: 0, malformed: 0 },
    lost: () => drops,
    receiveBufferBytes: () => 8 << 20,
    error: () => failure,
    stop: async () => {
      stopped++;
    },
  };
  return {
    start: async (h: DestroyEventHandler) => {
      handler = h;
      return reader;
    },
    async batch(events: Array<[local: number, remote: number]>): Promise<void> {
      handler!.startBatch(performance.now());
      for (const [local, remote] of events) {
        const s = newClosedSocket();
        s.localPort = local;
        s.remotePort = remote;
        s.info.bytesReceived = 0;
        handler!.onEvent(s);
      }
      await handler!.endBatch();
    },
    drop: (n: number) => {
      drops += n;
    },
    fail: (err: Error) => {
      failure = err;
    },
    stopped: () => stopped,
  };
}

// Pinned: their series count from the first collection (a port named later starts at 0, its first counts in "other").
const LIMITS = { maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [443, 7000] };
const ctx = { procfs: '/proc', log: silentLogger };
const closedOn = (r: Awaited<ReturnType<ConnectionsCollector['collect']>>, role: 'server' | 'client', port: number): number | undefined =>
  (role === 'server' ? r.serverPorts : r.clientPorts).find((p) => p.port === String(port))?.closed;

describe('ConnectionsCollector', () => {
  it('holds back a batch from a service-looking port without a known listener until a listener dump started after it', async () => {
    const reader = scriptedReader();
    let listeners: number[] = [];
    let dumps = 0;
    const c = new ConnectionsCollector(LIMITS, { receiveBufferBytes: 1 }, NO_SERIES_HYSTERESIS, { startReader: reader.start, listeningPorts: async () => (dumps++, listeners) });
    await c.collect(ctx);
    const before = dumps;
    // A server opens port 7000 after the last dump; its first connections close at once.
    listeners = [7000];
    await reader.batch([[7000, 40000], [40000, 7000]]);
    expect(dumps).toBe(before + 1);
    const r = await c.collect(ctx);
    expect(closedOn(r, 'server', 7000)).toBe(1);
    expect(closedOn(r, 'client', 7000)).toBe(1);
    expect(closedOn(r, 'client', 40000)).toBeUndefined();
  });

  it('does not dump listeners for connections from ephemeral ports (outgoing connections)', async () => {
    const reader = scriptedReader();
    let dumps = 0;
    const c = new ConnectionsCollector(LIMITS, { receiveBufferBytes: 1 }, NO_SERIES_HYSTERESIS, { startReader: reader.start, listeningPorts: async () => (dumps++, []) });
    await c.collect(ctx);
    const before = dumps;
    for (let i = 0; i < 5; i++) await reader.batch([[40000 + i, 443]]);
    expect(dumps).toBe(before);
    expect(closedOn(await c.collect(ctx), 'client', 443)).toBe(5);
  });

  it('warns once when the kernel granted less than twice the buffer asked (net.core.rmem_max caps it)', async () => {
    for (const [asked, warned] of [[4 << 20, false], [8 << 20, true]] as const) {
      const reader = scriptedReader(); // grants 8 MiB
      const { logger, records } = recordingLog();
      const c = new ConnectionsCollector(LIMITS, { receiveBufferBytes: asked }, NO_SERIES_HYSTERESIS, { startReader: reader.start, listeningPorts: async () => [] });
      await c.collect({ procfs: '/proc', log: logger });
      await c.collect({ procfs: '/proc', log: logger });
      const warnings = records.filter((r) => r.level === 'warn' && r.msg.includes('smaller than asked'));
      expect(warnings.map((r) => [r.obj['asked_bytes'], r.obj['granted_bytes']])).toEqual(warned ? [[asked, 8 << 20]] : []);
      await c.close();
    }
  });

  it('logs lost events once per burst of loss, and once when it ends', async () => {
    const reader = scriptedReader();
    const { logger, records } = recordingLog();
    const c = new ConnectionsCollector(LIMITS, { receiveBufferBytes: 1 }, NO_SERIES_HYSTERESIS, { startReader: reader.start, listeningPorts: async () => [] });
    const at = { procfs: '/proc', log: logger };
    await c.collect(at);
    reader.drop(5);
    expect((await c.collect(at)).lost).toBe(5);
    reader.drop(7);
    expect((await c.collect(at)).lost).toBe(12);
    await c.collect(at);
    reader.drop(1);
    await c.collect(at);
    const lossLogs = records.filter((r) => r.msg.startsWith('socket destroy events'));
    expect(lossLogs.map((r) => [r.level, r.obj['lost'] ?? null, r.obj['lost_total']])).toEqual([
      ['warn', 5, 5],
      ['info', null, 12],
      ['warn', 1, 13],
    ]);
  });

  it('fails the cycle when the reader failed, then starts a new one, keeping the counts and the losses', async () => {
    const first = scriptedReader();
    const second = scriptedReader();
    let starts = 0;
    const c = new ConnectionsCollector(LIMITS, { receiveBufferBytes: 1 }, NO_SERIES_HYSTERESIS, {
      startReader: (h) => (starts++ === 0 ? first.start(h) : second.start(h)),
      listeningPorts: async () => [],
    });
    await c.collect(ctx);
    await first.batch([[40000, 443]]);
    first.drop(3);
    first.fail(new Error('recvmmsg failed: errno 9'));
    await expect(c.collect(ctx)).rejects.toThrow('reading socket destroy events failed: recvmmsg failed: errno 9');
    await c.collect(ctx);
    await second.batch([[40001, 443]]);
    second.drop(2);
    const r = await c.collect(ctx);
    expect(closedOn(r, 'client', 443)).toBe(2);
    expect(r.lost).toBe(5);
    await c.close();
    expect(second.stopped()).toBe(1);
  });

  it('refuses a --path.procfs that shows another network namespace (a fixture tree)', async () => {
    const c = new ConnectionsCollector(LIMITS, { receiveBufferBytes: 1 }, NO_SERIES_HYSTERESIS, { startReader: scriptedReader().start, listeningPorts: async () => [] });
    await expect(c.collect({ procfs: fixture('proc'), log: silentLogger })).rejects.toThrow(/does not show the exporter's own network namespace/);
  });
});
