import { describe, expect, it } from 'vitest';
import { closedConnectionsSection, rttQuantileBound, tcpInfoSection } from '../../../src/cli/connectionsReport.js';
import type { PortTcpInfo } from '../../../src/aggregate/tcpInfoAggregator.js';

const table = (header: readonly string[], rows: readonly (readonly (string | number)[])[]): string => [header, ...rows].map((r) => r.join('|')).join('\n');

describe('snapshot sections of the event collectors', () => {
  it('says why a one-shot snapshot shows no closed connection yet, and where to see them', () => {
    const other = { port: 'other', closed: 0, bytesSent: 0, bytesReceived: 0, segmentsOut: 0, segmentsIn: 0, retransmitted: 0 };
    const out = closedConnectionsSection({ serverPorts: [other], clientPorts: [other], connections: 0, withoutPeer: 0, lost: 0, receiveBufferBytes: 8 << 20, reader: { datagrams: 0, truncated: 0, malformed: 0 } }, table);
    expect(out[1]).toMatch(/none yet: .*from the first collection on; `watch` shows them/);
  });

  it('lists closed connections of ports that had some, with bytes readable and the loss in the title', () => {
    const out = closedConnectionsSection(
      {
        serverPorts: [
          { port: '443', closed: 200, bytesSent: 60_000, bytesReceived: 1_000_000, segmentsOut: 600, segmentsIn: 1200, retransmitted: 3 },
          { port: 'other', closed: 0, bytesSent: 0, bytesReceived: 0, segmentsOut: 0, segmentsIn: 0, retransmitted: 0 },
        ],
        clientPorts: [{ port: 'other', closed: 5, bytesSent: 10, bytesReceived: 0, segmentsOut: 20, segmentsIn: 15, retransmitted: 0 }],
        connections: 205,
        withoutPeer: 1,
        lost: 7,
        receiveBufferBytes: 8 << 20,
        reader: { datagrams: 206, truncated: 0, malformed: 0 },
      },
      table,
    );
    expect(out[0]).toBe('CLOSED CONNECTIONS since the exporter started (socket destroy events; lost: 7, receive buffer 8.0 MiB)');
    expect(out[1]!.split('\n')).toEqual(['ROLE|PORT|CLOSED|SENT|RECEIVED|SEGS-OUT|SEGS-IN|RETRANS', 'server|443|200|58.6 KiB|976.6 KiB|600|1200|3', 'client|other|5|10 B|0 B|20|15|0']);
  });

  it('gives RTT quantiles as the bucket bound they fall under', () => {
    const p: PortTcpInfo = { port: '443', rttBuckets: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2], rttCount: 2, rttSumSeconds: 11.0001, retransmitting: 0 };
    expect(rttQuantileBound(p, 0.5)).toBe('≤ 0.1 ms');
    expect(rttQuantileBound(p, 0.99)).toBe('> 10000 ms');
    expect(tcpInfoSection({ serverPorts: [p], clientPorts: [], sockets: 2 }, table)[1]!.split('\n')[1]).toBe('server|443|2|5500.05 ms|≤ 0.1 ms|> 10000 ms|0');
  });
});
