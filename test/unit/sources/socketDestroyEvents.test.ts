import { describe, expect, it } from 'vitest';
import type { DatagramBatch, SockDiagEventSocket } from '../../../src/sources/netlink/libcNetlink.js';
import { SocketDestroyEventReader, type DestroyEventHandler } from '../../../src/sources/netlink/socketDestroyEvents.js';
import { destroyMessage } from '../../helpers/netlinkMessages.js';

/**
 * An event socket replaying scripted receives (each a list of datagrams, [] for a timeout),
 * completing on later event-loop turns as a pool thread's would; after the script it times out.
 */
function scriptedEvents(script: Buffer[][]) {
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
    receiveBufferBytes: () => 4096,
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
});
