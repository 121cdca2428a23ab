import type { PortStates } from '../aggregate/socketSummary.js';
import type { NamespaceSockets, NetnsResult } from '../collectors/netnsCollector.js';
import type { NamespaceConnectionEvents } from '../collectors/netnsConnectionEvents.js';
import { LISTEN, STATE_CODES, stateName } from '../model/tcpState.js';
import { fromData, scalarGauge, type MetricFamily, type Sample } from './metricFamily.js';

const IDENTITY = ['netns', 'pod_uid', 'container_id'] as const;

/** As tcpstate_port_sockets: role="client",state="listen" cannot be non-zero and is not served. */
function* portSamples(identity: Record<string, string>, role: 'server' | 'client', ports: readonly PortStates[] | undefined): Iterable<Sample> {
  for (const p of ports ?? []) {
    for (const code of STATE_CODES) {
      if (role === 'client' && code === LISTEN) continue;
      yield { labels: { ...identity, role, port: p.port, state: stateName(code) }, value: p.states[code]! };
    }
  }
}

/** A namespace's identity labels, as every tcpstate_netns_* family has them. */
const identityOf = (ns: NamespaceSockets): { netns: string; pod_uid: string; container_id: string } => ({ netns: ns.netns, pod_uid: ns.podUid, container_id: ns.containerId });

/** Samples of the namespaces whose closed connections are counted; the others have none (never a zero for an unread namespace). */
function* perNamespaceEvents(d: NetnsResult, value: (e: NamespaceConnectionEvents, identity: Record<string, string>) => Iterable<Sample>): Iterable<Sample> {
  for (const ns of d.namespaces) if (ns.closedConnections) yield* value(ns.closedConnections, identityOf(ns));
}

/** A namespace's two samples of a family with a `direction` label. */
function byDirection(sent: (e: NamespaceConnectionEvents) => number, received: (e: NamespaceConnectionEvents) => number) {
  return (e: NamespaceConnectionEvents, identity: Record<string, string>): Sample[] => [
    { labels: { ...identity, direction: 'sent' }, value: sent(e) },
    { labels: { ...identity, direction: 'received' }, value: received(e) },
  ];
}

const SINCE =
  "since the exporter first read the namespace's socket destroy events: for its own namespace since it started, for another from the first cycle that collected it (closes before are not counted; a namespace that leaves the collected set loses its series)";

/**
 * Per network namespace, with --collector.connections as well (the same kernel events as the
 * tcpstate_port_closed_* families, state totals only): the exporter's own namespace from the
 * connections collector's counters, every other from an event socket opened inside it.
 */
const NETNS_CONNECTION_METRICS: readonly MetricFamily[] = [
  {
    name: 'tcpstate_netns_closed_connections_total',
    help: `TCP connections closed per network namespace (with --collector.connections), one per side the namespace holds, ${SINCE}. For the exporter's own namespace, the sum of tcpstate_port_closed_connections_total. Absent for a namespace whose events are not read (see tcpstate_netns_connection_events_namespaces).`,
    type: 'counter',
    labelNames: [...IDENTITY],
    collector: 'netns',
    samples: fromData('netns', (d) => perNamespaceEvents(d, (e, labels) => [{ labels, value: e.closed }])),
  },
  {
    name: 'tcpstate_netns_closed_connection_bytes_total',
    help: 'Data bytes moved by the closed connections per network namespace, as tcpstate_port_closed_connection_bytes_total: direction="sent" is tcpi_bytes_sent - tcpi_bytes_retrans, direction="received" tcpi_bytes_received less the peer\'s FIN.',
    type: 'counter',
    labelNames: [...IDENTITY, 'direction'],
    collector: 'netns',
    samples: fromData('netns', (d) => perNamespaceEvents(d, byDirection((e) => e.bytesSent, (e) => e.bytesReceived))),
  },
  {
    name: 'tcpstate_netns_closed_connection_segments_total',
    help: 'Segments of the closed connections per network namespace, tcpi_segs_out (direction="sent") and tcpi_segs_in (direction="received"), the segments the full sockets sent and received while they lived (as tcpstate_port_closed_connection_segments_total).',
    type: 'counter',
    labelNames: [...IDENTITY, 'direction'],
    collector: 'netns',
    samples: fromData('netns', (d) => perNamespaceEvents(d, byDirection((e) => e.segmentsOut, (e) => e.segmentsIn))),
  },
  {
    name: 'tcpstate_netns_closed_connection_retransmitted_segments_total',
    help: 'Segments the closed connections of each network namespace retransmitted (tcpi_total_retrans).',
    type: 'counter',
    labelNames: [...IDENTITY],
    collector: 'netns',
    samples: fromData('netns', (d) => perNamespaceEvents(d, (e, labels) => [{ labels, value: e.retransmitted }])),
  },
  {
    name: 'tcpstate_netns_connection_events_lost_total',
    help: "Socket destroy events the kernel dropped per network namespace because the receive buffer of the exporter's socket there was full (its sk_drops; the own namespace's is tcpstate_connection_events_lost_total): closed connections missing from the counters above.",
    type: 'counter',
    labelNames: [...IDENTITY],
    collector: 'netns',
    samples: fromData('netns', (d) => perNamespaceEvents(d, (e, labels) => [{ labels, value: e.lost }])),
  },
  {
    name: 'tcpstate_netns_connection_events_namespaces',
    help: 'Collected network namespaces (with --collector.connections) by whether their closed connections are counted: outcome="read" have the tcpstate_netns_closed_connection* series, outcome="unread" have none this cycle: entering other namespaces was refused (the exporter needs CAP_SYS_ADMIN; logged once), the namespace\'s event socket could not be opened yet, or, for the exporter\'s own, the connections collector failed.',
    type: 'gauge',
    labelNames: ['outcome'],
    collector: 'netns',
    samples: fromData('netns', (d) =>
      d.connectionEvents
        ? [
            { labels: { outcome: 'read' }, value: d.connectionEvents.read },
            { labels: { outcome: 'unread' }, value: d.connectionEvents.unread },
          ]
        : [],
    ),
  },
];

/** Per network namespace (--collector.netns). */
export const NETNS_METRICS: readonly MetricFamily[] = [
  {
    name: 'tcpstate_netns_sockets',
    help: 'TCP sockets per network namespace and state (both families). netns is "host" (pid 1\'s namespace; unreadable to an unprivileged exporter, which then names every namespace by inode) or the namespace inode; pod_uid and container_id come from the cgroup path of the namespace\'s first process (join pod_uid with kube_pod_info{uid}).',
    type: 'gauge',
    labelNames: [...IDENTITY, 'state'],
    collector: 'netns',
    samples: fromData('netns', function* (d) {
      for (const ns of d.namespaces) {
        for (const code of STATE_CODES) {
          yield { labels: { netns: ns.netns, pod_uid: ns.podUid, container_id: ns.containerId, state: stateName(code) }, value: ns.states[code]! };
        }
      }
    }),
  },
  {
    name: 'tcpstate_netns_port_sockets',
    help: 'As tcpstate_port_sockets, per network namespace (--collector.netns.ports): the busiest 10 server and 5 client ports of each (chosen per cycle, without hysteresis), the rest in port="other" and port="ephemeral".',
    type: 'gauge',
    labelNames: [...IDENTITY, 'role', 'port', 'state'],
    collector: 'netns',
    samples: fromData('netns', function* (d) {
      for (const ns of d.namespaces) {
        const identity = { netns: ns.netns, pod_uid: ns.podUid, container_id: ns.containerId };
        yield* portSamples(identity, 'server', ns.serverPorts);
        yield* portSamples(identity, 'client', ns.clientPorts);
      }
    }),
  },
  {
    name: 'tcpstate_netns_namespaces',
    help: 'Network namespaces found among the processes, by outcome: "collected", "skipped" (beyond --collector.netns.max) or "failed" (tables unreadable this cycle).',
    type: 'gauge',
    labelNames: ['outcome'],
    collector: 'netns',
    samples: fromData('netns', (d) => [
      { labels: { outcome: 'collected' }, value: d.namespaces.length },
      { labels: { outcome: 'skipped' }, value: d.skipped },
      { labels: { outcome: 'failed' }, value: d.failed },
    ]),
  },
  scalarGauge(
    'netns',
    'tcpstate_netns_unreadable_processes',
    'Processes whose network namespace could not be read (needs CAP_SYS_PTRACE); namespaces only they are in are missed.',
    (d) => d.unreadableProcesses,
  ),
  ...NETNS_CONNECTION_METRICS,
];
