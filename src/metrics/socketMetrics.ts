import type { PortStates } from '../aggregate/socketSummary.js';
import { FAMILIES, LISTEN, STATE_CODES, stateName, type StateCounts } from '../model/tcpState.js';
import { fromData, type MetricFamily, type Sample } from './metricFamily.js';

function* perState(counts: StateCounts, labels: Readonly<Record<string, string>> = {}, skip = -1): Iterable<Sample> {
  for (const code of STATE_CODES) if (code !== skip) yield { labels: { ...labels, state: stateName(code) }, value: counts[code]! };
}

/** A client socket is never LISTEN (listeners are server sockets by definition): that series is not served. */
function* perPort(role: 'server' | 'client', ports: readonly PortStates[]): Iterable<Sample> {
  for (const p of ports) yield* perState(p.states, { role, port: p.port }, role === 'client' ? LISTEN : -1);
}

export const SOCKET_METRICS: readonly MetricFamily[] = [
  {
    name: 'tcpstate_sockets',
    help: 'TCP sockets by address family and state, every state always present.',
    type: 'gauge',
    labelNames: ['family', 'state'],
    collector: 'sockets',
    samples: fromData('sockets', function* (d) {
      for (const family of FAMILIES) yield* perState(d.summary.byFamily[family], { family });
    }),
  },
  {
    name: 'tcpstate_port_sockets',
    help: 'TCP sockets by role and port: role="server" by local port (a listening port, or the port of a server whose listener is gone: see Socket roles), role="client" by remote port; ports inside ip_local_port_range are summed in port="ephemeral" (unless --collector.ports.ephemeral-by-number), ports beyond the caps or not yet admitted in port="other", so the ports of a role add up to every socket of it. Every state is present for each port, except state="listen" for role="client" (never non-zero).',
    type: 'gauge',
    labelNames: ['role', 'port', 'state'],
    collector: 'sockets',
    samples: fromData('sockets', function* (d) {
      yield* perPort('server', d.summary.serverPorts);
      yield* perPort('client', d.summary.clientPorts);
    }),
  },
  {
    name: 'tcpstate_listen_queue_length',
    help: 'Connections waiting in the accept queue of the listening sockets on this port.',
    type: 'gauge',
    labelNames: ['port'],
    collector: 'sockets',
    samples: fromData('sockets', (d) => d.summary.listenQueues.map((q) => ({ labels: { port: q.port }, value: q.acceptQueue }))),
  },
  {
    name: 'tcpstate_listen_queue_backlog',
    help: 'Configured accept-queue size (the effective listen() backlog) of the listening sockets on this port; absent when the socket source cannot see it.',
    type: 'gauge',
    labelNames: ['port'],
    collector: 'sockets',
    samples: fromData('sockets', (d) =>
      d.summary.listenQueues.flatMap((q) => (q.backlog === null ? [] : [{ labels: { port: q.port }, value: q.backlog }])),
    ),
  },
  {
    name: 'tcpstate_listen_queue_max_fill_ratio',
    help: 'Accept-queue length over (backlog + 1) of the fullest listening socket on this port: the kernel queues backlog + 1 connections before it drops (sk_acceptq_is_full), so 1 = full, new connections are being dropped (listen(0) with one waiting connection reads 1).',
    type: 'gauge',
    labelNames: ['port'],
    collector: 'sockets',
    samples: fromData('sockets', (d) =>
      d.summary.listenQueues.flatMap((q) => (q.maxFillRatio === null ? [] : [{ labels: { port: q.port }, value: q.maxFillRatio }])),
    ),
  },
  {
    name: 'tcpstate_listeners',
    help: 'Listening sockets on this port (more than one with SO_REUSEPORT or per-address binds).',
    type: 'gauge',
    labelNames: ['port'],
    collector: 'sockets',
    samples: fromData('sockets', (d) => d.summary.listenQueues.map((q) => ({ labels: { port: q.port }, value: q.listeners }))),
  },
  {
    name: 'tcpstate_receive_queue_bytes',
    help: 'Data bytes received and not yet read by the application, summed over non-listening sockets in this state. A received FIN the application has not read yet (CLOSE_WAIT, LAST_ACK, CLOSING), which the kernel counts as one byte, is not included; TIME_WAIT sockets have no queues (0).',
    type: 'gauge',
    labelNames: ['state'],
    collector: 'sockets',
    samples: fromData('sockets', (d) => perState(d.summary.receiveQueueBytes)),
  },
  {
    name: 'tcpstate_send_queue_bytes',
    help: 'Data bytes not yet sent or not yet acknowledged by the peer, summed over non-listening sockets in this state. The SYN (SYN_SENT) and FIN (FIN_WAIT1, CLOSING, LAST_ACK) awaiting acknowledgement, which the kernel counts as one byte each, are not included.',
    type: 'gauge',
    labelNames: ['state'],
    collector: 'sockets',
    samples: fromData('sockets', (d) => perState(d.summary.sendQueueBytes)),
  },
  {
    name: 'tcpstate_established_keepalive_sockets',
    help: 'ESTABLISHED sockets by keepalive timer: "armed", "not_armed" (no timer: a dead peer goes unnoticed), "unknown" (a retransmit timer hides it).',
    type: 'gauge',
    labelNames: ['keepalive'],
    collector: 'sockets',
    samples: fromData('sockets', (d) => keepaliveSamples(d.summary.keepalive)),
  },
  {
    name: 'tcpstate_port_established_keepalive_sockets',
    help: 'ESTABLISHED sockets by role, port and keepalive timer, as tcpstate_established_keepalive_sockets: role="server" by local port, role="client" by remote port (connection pools to 5432, 6379, ...), with the ports, port="other" and port="ephemeral" of tcpstate_port_sockets for that role.',
    type: 'gauge',
    labelNames: ['role', 'port', 'keepalive'],
    collector: 'sockets',
    samples: fromData('sockets', function* (d) {
      for (const p of d.summary.keepaliveByServerPort) yield* keepaliveSamples(p, { role: 'server', port: p.port });
      for (const p of d.summary.keepaliveByClientPort) yield* keepaliveSamples(p, { role: 'client', port: p.port });
    }),
  },
  {
    name: 'tcpstate_socket_source_info',
    help: 'The socket table source of the last cycle: "netlink" (sock_diag), "procfs" (/proc/net/tcp*; also the fallback when netlink fails) or "systeminformation" (non-Linux development machines; no queues or timers).',
    type: 'gauge',
    labelNames: ['source'],
    collector: 'sockets',
    samples: fromData('sockets', (d) => [{ labels: { source: d.source }, value: 1 }]),
  },
  {
    name: 'tcpstate_socket_source_fallbacks_total',
    help: 'Collection cycles, since the exporter started, in which the primary socket source failed and the fallback (procfs) was read instead.',
    type: 'counter',
    labelNames: [],
    collector: 'sockets',
    samples: fromData('sockets', (d) => [{ labels: {}, value: d.fallbacks }]),
  },
  {
    name: 'tcpstate_listen_backlog_source_info',
    help: 'Where listen backlogs come from: "netlink" (sock_diag, joined by inode), "failed" (netlink unavailable: backlog metrics absent), "none" (a fixture tree or systeminformation).',
    type: 'gauge',
    labelNames: ['source'],
    collector: 'sockets',
    samples: fromData('sockets', (d) => [{ labels: { source: d.backlogSource }, value: 1 }]),
  },
  {
    name: 'tcpstate_socket_table_malformed_lines',
    help: 'Lines of a socket table the last collection skipped because they could not be parsed.',
    type: 'gauge',
    labelNames: ['table'],
    collector: 'sockets',
    samples: fromData('sockets', (d) => d.tables.filter((t) => t.present).map((t) => ({ labels: { table: t.table }, value: t.malformed }))),
  },
];

function keepaliveSamples(
  k: { armed: number; notArmed: number; unknown: number },
  labels: Readonly<Record<string, string>> = {},
): Sample[] {
  return [
    { labels: { ...labels, keepalive: 'armed' }, value: k.armed },
    { labels: { ...labels, keepalive: 'not_armed' }, value: k.notArmed },
    { labels: { ...labels, keepalive: 'unknown' }, value: k.unknown },
  ];
}
