import { describe, expect, it } from 'vitest';
import { RTT_BUCKETS_US, type PortTcpInfo } from '../../../src/aggregate/tcpInfoAggregator.js';
import type { PortClosedConnections } from '../../../src/aggregate/closedConnections.js';
import type { CollectorName } from '../../../src/collectors/index.js';
import { metricCatalog } from '../../../src/metrics/catalog.js';
import { buildExposition, renderedText } from '../../../src/metrics/exposition.js';
import type { Snapshot } from '../../../src/snapshot/snapshot.js';
import { BUILD_INFO } from '../../../src/version.js';

const closed = (port: string, n: number): PortClosedConnections => ({ port, closed: n, bytesSent: 5000 * n, bytesReceived: 300 * n, segmentsOut: 7 * n, segmentsIn: 6 * n, retransmitted: 0 });
/** 20 sockets at 50 µs, 2 of them retransmitting: every bucket holds them (cumulative). */
const info = (port: string): PortTcpInfo => ({ port, rttBuckets: [...RTT_BUCKETS_US.map(() => 20), 20], rttCount: 20, rttSumSeconds: 0.001, retransmitting: 2 });

const snapshot: Snapshot = {
  sequence: 1,
  takenAtMs: 0,
  durationSeconds: 0.01,
  intervalSeconds: 15,
  stuckReads: [],
  status: { connections: { success: true, durationSeconds: 0.001 }, tcpinfo: { success: true, durationSeconds: 0 } },
  data: {
    connections: {
      serverPorts: [closed('7000', 200), closed('other', 0), closed('ephemeral', 3)],
      clientPorts: [closed('7000', 200), closed('other', 1), closed('ephemeral', 0)],
      connections: 404,
      withoutPeer: 1,
      lost: 0,
      receiveBufferBytes: 8 << 20,
      reader: { datagrams: 405, truncated: 0, malformed: 0 },
    },
    tcpinfo: { serverPorts: [info('7000'), info('other'), info('ephemeral')], clientPorts: [info('7000'), info('other'), info('ephemeral')], sockets: 120 },
  },
};

async function body(format: 'prometheus' | 'openmetrics'): Promise<string> {
  const enabled = new Set<CollectorName>(['connections', 'tcpinfo']);
  const exposition = buildExposition(metricCatalog(BUILD_INFO, enabled), { latest: () => snapshot }, { processMetrics: false, now: () => 0 });
  return renderedText(await exposition.render(format));
}

describe('the closed-connection and tcp_info families in /metrics', () => {
  it('writes each port of each role, with "other" and "ephemeral", and both directions', async () => {
    const text = await body('prometheus');
    expect(text).toContain('tcpstate_port_closed_connections_total{role="server",port="7000"} 200\n');
    expect(text).toContain('tcpstate_port_closed_connections_total{role="server",port="ephemeral"} 3\n');
    expect(text).toContain('tcpstate_port_closed_connection_bytes_total{role="client",port="7000",direction="sent"} 1000000\n');
    expect(text).toContain('tcpstate_port_closed_connection_bytes_total{role="client",port="7000",direction="received"} 60000\n');
    expect(text).toContain('tcpstate_port_closed_connection_segments_total{role="server",port="other",direction="received"} 0\n');
    expect(text).toContain('tcpstate_connection_events_lost_total 0\n');
  });

  it('writes the RTT histogram in the text format with le last, in seconds, +Inf, _sum and _count; OpenMetrics with canonical le values', async () => {
    const text = await body('prometheus');
    expect(text).toContain('# TYPE tcpstate_port_rtt_seconds histogram\n');
    expect(text).toContain('tcpstate_port_rtt_seconds_bucket{role="server",port="7000",le="0.0001"} 20\n');
    expect(text).toContain('tcpstate_port_rtt_seconds_bucket{role="server",port="7000",le="1"} 20\n');
    expect(text).toContain('tcpstate_port_rtt_seconds_bucket{role="server",port="7000",le="+Inf"} 20\n');
    expect(text).toContain('tcpstate_port_rtt_seconds_sum{role="server",port="7000"} 0.001\n');
    expect(text).toContain('tcpstate_port_rtt_seconds_count{role="server",port="7000"} 20\n');
    expect(text.match(/^tcpstate_port_rtt_seconds_bucket\{role="client",port="ephemeral",/gm)).toHaveLength(RTT_BUCKETS_US.length + 1);
    expect(text).toContain('tcpstate_port_retransmitting_sockets{role="client",port="other"} 2\n');
    const om = await body('openmetrics');
    expect(om).toContain('tcpstate_port_rtt_seconds_bucket{role="server",port="7000",le="1.0"} 20\n');
    expect(om).toContain('tcpstate_port_rtt_seconds_bucket{role="server",port="7000",le="10.0"} 20\n');
    expect(om).toContain('# TYPE tcpstate_port_closed_connections counter\n');
  });

  it('serves the RTT histogram to OpenMetrics as a gaugehistogram: _gsum and _gcount, no _created, the text format unchanged', async () => {
    const om = await body('openmetrics');
    expect(om).toContain('# TYPE tcpstate_port_rtt_seconds gaugehistogram\n');
    expect(om).toContain('tcpstate_port_rtt_seconds_gsum{role="server",port="7000"} 0.001\n');
    expect(om).toContain('tcpstate_port_rtt_seconds_gcount{role="server",port="7000"} 20\n');
    expect(om.match(/^tcpstate_port_rtt_seconds_gcount\{/gm)).toHaveLength(6);
    expect(om).not.toMatch(/^tcpstate_port_rtt_seconds_(?:sum|count|created|gcreated)\b/m);
    const text = await body('prometheus');
    expect(text).not.toContain('gaugehistogram');
    expect(text).not.toMatch(/_g(?:sum|count)\b/);
    // Every sample the text format has, OpenMetrics has under the same name but for _gsum and _gcount.
    const rtt = (b: string): string[] => b.split('\n').filter((l) => l.startsWith('tcpstate_port_rtt_seconds_'));
    expect(rtt(om).map((l) => l.replace(/^tcpstate_port_rtt_seconds_g(sum|count)/, 'tcpstate_port_rtt_seconds_$1').replace(/le="(\d+)\.0"/, 'le="$1"'))).toEqual(rtt(text));
  });
});
