import { fromData, PREFIX, scalarGauge, type MetricFamily } from './metricFamily.js';

/** Ephemeral-port pressure, from the sockets collector's pass (see aggregate/ephemeralPorts.ts). */
export const EPHEMERAL_METRICS: readonly MetricFamily[] = [
  scalarGauge(
    'sockets',
    'ephemeral_port_worst_destination_ratio',
    'Local ports held by connections to the busiest destination (remote address and port) over the usable ephemeral ports; at 1 connect() to it fails with EADDRNOTAVAIL. Made for alerting.',
    (d) => d.ephemeral?.worstDestinationRatio,
  ),
  {
    name: `${PREFIX}ephemeral_port_destination_ports`,
    help: 'Local ports from the ephemeral range held by connections (TIME_WAIT included) to each of the busiest destinations, rank 1 busiest; remote_address is empty when --no-collector.ephemeral.remote-address is given.',
    type: 'gauge',
    labelNames: ['rank', 'family', 'remote_address', 'remote_port'],
    collector: 'sockets',
    samples: fromData('sockets', (d) =>
      (d.ephemeral?.top ?? []).map((t, i) => ({
        labels: { rank: String(i + 1), family: t.family, remote_address: t.remoteAddress, remote_port: String(t.remotePort) },
        value: t.ports,
      })),
    ),
  },
  scalarGauge(
    'sockets',
    'ephemeral_ports_usable',
    'Ports connect() can pick from: net.ipv4.ip_local_port_range less ip_local_reserved_ports and ports bound by listeners in it.',
    (d) => d.ephemeral?.usablePorts,
  ),
  scalarGauge(
    'sockets',
    'ephemeral_ports_in_use',
    'Distinct local ports inside net.ipv4.ip_local_port_range held by any socket, listeners and TIME_WAIT included (connections to different destinations may share one).',
    (d) => d.ephemeral?.portsInUse,
  ),
  scalarGauge(
    'sockets',
    'ephemeral_port_destinations',
    'Distinct destinations (remote address and port) of connections holding an ephemeral port; a lower bound when tcpstate_ephemeral_port_count_error is above 0.',
    (d) => d.ephemeral?.destinations,
  ),
  scalarGauge(
    'sockets',
    'ephemeral_port_count_error',
    'How many ports any per-destination count may be short by; 0 (exact) unless the host has more distinct destinations than the tracking table holds (8,192).',
    (d) => d.ephemeral?.countError,
  ),
];
