import type { PortStates } from '../aggregate/socketSummary.js';
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

/** Per network namespace (--collector.netns). */
export const NETNS_METRICS: readonly MetricFamily[] = [
  {
    name: 'tcpstate_netns_sockets',
    help: 'TCP sockets per network namespace and state (both families). netns is "host" or the namespace inode; pod_uid and container_id come from the cgroup path of the namespace\'s first process (join pod_uid with kube_pod_info{uid}).',
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
];
