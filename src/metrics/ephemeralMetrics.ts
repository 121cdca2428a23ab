import type { DestinationSeries } from '../aggregate/ephemeralPorts.js';
import { fromData, scalarGauge, type MetricFamily } from './metricFamily.js';

const destinationLabels = (t: DestinationSeries): Record<string, string> => ({
  rank: String(t.rank),
  family: t.family,
  remote_address: t.remoteAddress,
  remote_port: String(t.remotePort),
});

/** Ephemeral-port pressure, from the sockets collector's pass (see aggregate/ephemeralPorts.ts). */
export const EPHEMERAL_METRICS: readonly MetricFamily[] = [
  scalarGauge(
    'sockets',
    'tcpstate_ephemeral_port_worst_destination_ratio',
    'The highest tcpstate_ephemeral_port_destination_usage_ratio over every destination (not only the top K): at 1 connect() to it fails with EADDRNOTAVAIL. 0 without outgoing connections.',
    (d) => d.ephemeral?.worstDestinationRatio,
  ),
  {
    name: 'tcpstate_ephemeral_port_destination_usage_ratio',
    help: 'Local ports connect() to this destination cannot pick (held by its non-TIME_WAIT connections, and by its TIME_WAIT ones unless net.ipv4.tcp_tw_reuse applies: 1 any destination, 2 loopback only, both only with net.ipv4.tcp_timestamps on) over tcpstate_ephemeral_ports_usable; for the K busiest destinations by that count. rank is a slot a destination keeps while it is reported (it enters after ranking among the K busiest for --collector.series.admit-cycles cycles, and leaves --collector.series.keep-cycles cycles after it last held a port, or when another takes its slot: one with at most half as many ports left, or one twice as busy for keep-cycles cycles), so a reshuffle makes no new series: order by value (topk, sort_desc), not by rank. Ports bind() holds for other destinations are not in it: see tcpstate_ephemeral_ports_held.',
    type: 'gauge',
    labelNames: ['rank', 'family', 'remote_address', 'remote_port'],
    collector: 'sockets',
    samples: fromData('sockets', (d) => (d.ephemeral?.series ?? []).map((t) => ({ labels: destinationLabels(t), value: t.usageRatio }))),
  },
  {
    name: 'tcpstate_ephemeral_port_destination_ports',
    help: 'Local ports from the ephemeral range held by connections to each reported destination (the destinations and rank slots of tcpstate_ephemeral_port_destination_usage_ratio), by state: "time_wait" or "other" (every other state); remote_address is empty when --no-collector.ephemeral.remote-address is given.',
    type: 'gauge',
    labelNames: ['rank', 'family', 'remote_address', 'remote_port', 'state'],
    collector: 'sockets',
    samples: fromData('sockets', (d) =>
      (d.ephemeral?.series ?? []).flatMap((t) => [
        { labels: { ...destinationLabels(t), state: 'time_wait' }, value: t.timeWaitPorts },
        { labels: { ...destinationLabels(t), state: 'other' }, value: t.otherPorts },
      ]),
    ),
  },
  {
    name: 'tcpstate_ephemeral_ports_held',
    help: 'Distinct usable ports of the ephemeral range held by sockets (service ports excluded: those of listeners and of server sockets, see Socket roles), by holder: "exclusive" (one non-TIME_WAIT socket: what bind() before connect() leaves; such a port is lost to connect() towards every destination), "shared" (two or more non-TIME_WAIT sockets: connect() shares a port across destinations), "time_wait" (TIME_WAIT sockets only). held{state="exclusive"} / tcpstate_ephemeral_ports_usable near 1 means bind() and connect() are running out.',
    type: 'gauge',
    labelNames: ['state'],
    collector: 'sockets',
    samples: fromData('sockets', (d) => {
      const h = d.ephemeral?.held;
      if (h === undefined) return [];
      return [
        { labels: { state: 'exclusive' }, value: h.exclusive },
        { labels: { state: 'shared' }, value: h.shared },
        { labels: { state: 'time_wait' }, value: h.timeWait },
      ];
    }),
  },
  scalarGauge(
    'sockets',
    'tcpstate_ephemeral_ports_free',
    'Usable ephemeral ports no socket holds: what bind() to port 0 can still pick (tcpstate_ephemeral_ports_usable less every tcpstate_ephemeral_ports_held).',
    (d) => d.ephemeral?.freePorts,
  ),
  scalarGauge(
    'sockets',
    'tcpstate_ephemeral_ports_usable',
    'Ports connect() can pick from: net.ipv4.ip_local_port_range less ip_local_reserved_ports and the service ports in it (bound by a listener, or by the server sockets a closed listener left).',
    (d) => d.ephemeral?.usablePorts,
  ),
  scalarGauge(
    'sockets',
    'tcpstate_ephemeral_ports_in_use',
    'Distinct local ports inside net.ipv4.ip_local_port_range held by any socket, service ports and TIME_WAIT included (connections to different destinations may share one).',
    (d) => d.ephemeral?.portsInUse,
  ),
  scalarGauge(
    'sockets',
    'tcpstate_ephemeral_port_destinations',
    'Distinct destinations (remote address and port) of connections holding an ephemeral port; a lower bound when tcpstate_ephemeral_port_count_error is above 0.',
    (d) => d.ephemeral?.destinations,
  ),
  scalarGauge(
    'sockets',
    'tcpstate_ephemeral_port_count_error',
    'How many ports any per-destination count may be short by; 0 (exact) unless the host has more distinct destinations than the tracking table holds (8,192).',
    (d) => d.ephemeral?.countError,
  ),
];
