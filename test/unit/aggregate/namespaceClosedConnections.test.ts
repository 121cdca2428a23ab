import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClosedConnectionCounters } from '../../../src/aggregate/closedConnections.js';
import { NamespaceClosedConnections, sumClosedConnections } from '../../../src/aggregate/namespaceClosedConnections.js';
import { NO_SERIES_HYSTERESIS } from '../../../src/aggregate/portSeries.js';
import { closedSocket as closed } from '../../helpers/closedSockets.js';

const A = 4026532101;
const B = 4026532102;

describe('NamespaceClosedConnections', () => {
  it('folds each namespace apart, in payload bytes: the peer FIN taken out of what was received', () => {
    const t = new NamespaceClosedConnections();
    t.startCycle(null);
    // One connection in A, both ends: the client sent 5000 and got 300, the server the reverse;
    // tcpi_bytes_received counts the peer's FIN.
    t.add(A, closed(41000, 7000, { bytesSent: 5000, bytesReceived: 301, segsOut: 9, segsIn: 7 }));
    t.add(A, closed(7000, 41000, { bytesSent: 300, bytesReceived: 5001, segsOut: 7, segsIn: 9 }));
    // One client end in B, with a retransmission (bytes_retrans taken out of bytes_sent).
    t.add(B, closed(42000, 443, { bytesSent: 1100, bytesRetrans: 100, bytesReceived: 51, segsOut: 5, segsIn: 4, totalRetrans: 1 }));
    expect(t.of(A)).toEqual({ closed: 2, bytesSent: 5300, bytesReceived: 5300, segmentsOut: 16, segmentsIn: 16, retransmitted: 0 });
    expect(t.of(B)).toEqual({ closed: 1, bytesSent: 1000, bytesReceived: 50, segmentsOut: 5, segmentsIn: 4, retransmitted: 1 });
  });

  it('leaves sockets without a peer out, and starts a tracked namespace at zero', () => {
    const t = new NamespaceClosedConnections();
    t.startCycle(null);
    t.track(A);
    t.add(A, closed(7000, 0, { bytesReceived: 0 }));
    expect(t.of(A)).toEqual({ closed: 0, bytesSent: 0, bytesReceived: 0, segmentsOut: 0, segmentsIn: 0, retransmitted: 0 });
    expect(t.of(B)).toBeUndefined();
  });

  it('forgets the namespaces it is not told to keep, and hands out copies', () => {
    const t = new NamespaceClosedConnections();
    t.startCycle(null);
    t.add(A, closed(41000, 7000, { bytesSent: 10 }));
    t.add(B, closed(41000, 7000, { bytesSent: 20 }));
    t.of(A)!.closed = 99;
    expect(t.of(A)!.closed).toBe(1);
    t.retain(new Set([B]));
    expect(t.of(A)).toBeUndefined();
    expect(t.of(B)!.bytesSent).toBe(20);
    // A namespace that comes back counts from zero.
    t.track(A);
    expect(t.of(A)!.closed).toBe(0);
  });

  it('on kernels without tcpi_bytes_sent (before 4.19), takes the SYN and FIN out of bytes_acked by the role its ports suggest', () => {
    const t = new NamespaceClosedConnections();
    t.startCycle({ low: 32768, high: 60999 });
    t.add(A, closed(41000, 7000, { bytesSent: -1, bytesRetrans: -1, bytesAcked: 5002, bytesReceived: 301 })); // client: SYN and FIN
    t.add(A, closed(7000, 41000, { bytesSent: -1, bytesRetrans: -1, bytesAcked: 301, bytesReceived: 5001 })); // server: FIN only
    expect(t.of(A)).toMatchObject({ bytesSent: 5300, bytesReceived: 5300 });
  });

  it('adds up to what the per-port counters give for the same events, summed over roles and ports', () => {
    const event = fc.record({
      local: fc.integer({ min: 1, max: 65535 }),
      remote: fc.integer({ min: 0, max: 65535 }),
      sent: fc.integer({ min: -1, max: 1e7 }),
      acked: fc.integer({ min: -1, max: 1e7 }),
      received: fc.integer({ min: -1, max: 1e7 }),
      segsOut: fc.integer({ min: -1, max: 1e5 }),
      segsIn: fc.integer({ min: -1, max: 1e5 }),
      retrans: fc.integer({ min: -1, max: 100 }),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 200 }), fc.array(fc.integer({ min: 1, max: 65535 }), { maxLength: 5 }), (events, listeners) => {
        const perPort = new ClosedConnectionCounters({ maxServerPorts: 3, topClientPorts: 2, pinnedPorts: [], ephemeralPorts: 'fold' }, NO_SERIES_HYSTERESIS);
        const range = { low: 32768, high: 60999 };
        perPort.startCycle(range, listeners);
        const ns = new NamespaceClosedConnections();
        ns.startCycle(range);
        ns.track(A);
        for (const e of events) {
          // bytes_sent present: the role does not enter the bytes (it would only for the pre-4.19 fallback).
          const s = closed(e.local, e.remote, { bytesSent: Math.max(0, e.sent), bytesRetrans: 0, bytesAcked: e.acked, bytesReceived: e.received, segsOut: e.segsOut, segsIn: e.segsIn, totalRetrans: e.retrans });
          perPort.add(s);
          ns.add(A, s);
        }
        expect(ns.of(A)).toEqual(sumClosedConnections(perPort.summarize()));
      }),
      { numRuns: 50 },
    );
  });
});
