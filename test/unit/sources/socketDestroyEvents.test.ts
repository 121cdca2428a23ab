import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DatagramBatch, SockDiagEventSocket } from '../../../src/sources/netlink/libcNetlink.js';
import { coalescingPauseMs, SocketDestroyEventReader, type DestroyEventHandler } from '../../../src/sources/netlink/socketDestroyEvents.js';
import { destroyMessage } from '../../helpers/netlinkMessages.js';

/**
 * An event socket replaying scripted receives (each a list of datagrams, [] for a timeout),
 * completing on later event-loop turns as a pool thread's would; after the script it times out.
 */
function scriptedEvents(script: Buffer[][], receiveBufferBytes = 4096) {
  let inFlight = 0;
  let closedDuringReceive = false;
  let closed = false;
  let receives = 0;
  const lengths = new Map<DatagramBatch, number[]>();
  const sock: SockDiagEventSocket = {
    newBatch(slots, slotBytes): DatagramBatch {
      const bytes = Buffer.alloc(slots * slotBytes);
      const own = new Array<number>(slots).fill(0);
      const batch: DatagramBatch = { bytes, capacity: slots, offset: (i) => i * slotBytes, length: (i) => own[i]!, truncated: () => false };
      lengths.set(batch, own);
      return batch;
    },
    receive(batch) {
      receives++;
      inFlight++;
      return new Promise((resolve) =>
        setTimeout(() => {
          inFlight--;
          const datagrams = script.shift() ?? [];
          datagrams.forEach((d, i) => {
            d.copy(batch.bytes, batch.offset(i));
            lengths.get(batch)![i] = d.length;
          });
          resolve(datagrams.length);
        }, 5),
      );
    },
    drops: () => 0,
    receiveBufferBytes: () => receiveBufferBytes,
    close() {
      closed = true;
      if (inFlight > 0) closedDuringReceive = true;
    },
  };
  return { sock, closed: () => closed, closedDuringReceive: () => closedDuringReceive, receives: () => receives };
}

function recording(onEvent: (local: number) => void = () => undefined): { handler: DestroyEventHandler; seen: number[]; batches: () => number } {
  const seen: number[] = [];
  let batches = 0;
  const handler: DestroyEventHandler = {
    startBatch: () => {
      batches++;
    },
    onEvent: (s) => {
      onEvent(s.localPort);
      seen.push(s.localPort);
    },
    endBatch: () => undefined,
  };
  return { handler, seen, batches: () => batches };
}

const until = async (cond: () => boolean): Promise<void> => {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
};

describe('SocketDestroyEventReader', () => {
  it('hands over every event of every batch, across timeouts, and stops without closing under a receive in flight', async () => {
    const s = scriptedEvents([[destroyMessage({ localPort: 1, remotePort: 9 })], [], [destroyMessage({ localPort: 2, remotePort: 9 }), destroyMessage({ localPort: 3, remotePort: 9 })]]);
    const r = recording();
    const reader = await SocketDestroyEventReader.start(r.handler, { receiveBufferBytes: 1 }, async () => s.sock);
    await until(() => r.seen.length === 3);
    expect(r.seen).toEqual([1, 2, 3]);
    expect(r.batches()).toBe(2);
    expect(reader.counts).toEqual({ datagrams: 3, truncated: 0, malformed: 0 });
    await reader.stop();
    expect(s.closed()).toBe(true);
    expect(s.closedDuringReceive()).toBe(false);
  });

  it('ends on a handler error: reports it, and closes the socket only after the receive in flight', async () => {
    const s = scriptedEvents([[destroyMessage({ localPort: 1, remotePort: 9 })]]);
    const reader = await SocketDestroyEventReader.start(
      recording(() => {
        throw new Error('sink failed');
      }).handler,
      { receiveBufferBytes: 1 },
      async () => s.sock,
    );
    await until(() => s.closed());
    expect(reader.error()?.message).toBe('sink failed');
    expect(s.closedDuringReceive()).toBe(false);
  });

  describe('coalescing', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('pauses as long as half the receive buffer lasts at 100,000 closes/s, at most 10 ms, and not at all for a tiny buffer', () => {
      expect(coalescingPauseMs(8 << 20)).toBe(10); // the default: 4 MiB asked, 8 MiB granted
      expect(coalescingPauseMs(425_984)).toBe(1); // 208 KiB asked under a default rmem_max
      expect(coalescingPauseMs(65_536)).toBe(0);
    });

    it('after a batch that emptied the queue, waits again only after the pause; after a full one, at once', async () => {
      vi.useFakeTimers();
      const one = [destroyMessage({ localPort: 1, remotePort: 9 })];
      const full = Array.from({ length: 128 }, (_, i) => destroyMessage({ localPort: 100 + i, remotePort: 9 }));
      const s = scriptedEvents([one, full, one], 8 << 20);
      const r = recording();
      const reader = await SocketDestroyEventReader.start(r.handler, { receiveBufferBytes: 1 }, async () => s.sock);
      // t=5: the first receive returns one event; the next waits for the 10 ms pause.
      await vi.advanceTimersByTimeAsync(14);
      expect([r.seen.length, s.receives()]).toEqual([1, 1]);
      await vi.advanceTimersByTimeAsync(1);
      expect(s.receives()).toBe(2);
      // t=20: the full batch; the next receive is issued without a pause.
      await vi.advanceTimersByTimeAsync(5);
      expect([r.seen.length, s.receives()]).toEqual([129, 3]);
      const stopped = reader.stop();
      await vi.advanceTimersByTimeAsync(20);
      await stopped;
      expect(s.closedDuringReceive()).toBe(false);
    });
  });
});
