import { TCPEXT_FIELDS } from '../collectors/netstatCollector.js';
import { TCP_SNMP_FIELDS, type CounterSpec } from '../collectors/snmpCollector.js';
import { deadPeerDetectionSeconds, SYSCTLS } from '../collectors/sysctlCollector.js';
import { fromData, PREFIX, type MetricFamily } from './metricFamily.js';

const sysctlFamilies: MetricFamily[] = SYSCTLS.flatMap((spec) =>
  spec.metrics.map(
    (metric, i): MetricFamily => ({
      name: `${PREFIX}sysctl_${metric}`,
      help: spec.help[i]!,
      type: 'gauge',
      labelNames: [],
      collector: 'sysctl',
      samples: fromData('sysctl', (d) => (d.values[metric] === undefined ? [] : [{ labels: {}, value: d.values[metric] }])),
    }),
  ),
);

const deadPeer: MetricFamily = {
  name: `${PREFIX}keepalive_dead_peer_detection_seconds`,
  help: 'Worst-case time for a keepalive-enabled connection to notice a dead peer: keepalive_time + keepalive_intvl x keepalive_probes.',
  type: 'gauge',
  labelNames: [],
  collector: 'sysctl',
  samples: fromData('sysctl', (d) => {
    const v = deadPeerDetectionSeconds(d.values);
    return v === undefined ? [] : [{ labels: {}, value: v }];
  }),
};

function counterFamilies(collector: 'snmp' | 'netstat', specs: readonly CounterSpec[], source: string): MetricFamily[] {
  return specs.map((spec) => ({
    name: `${PREFIX}${spec.metric}`,
    help: `${spec.help} (${source} ${spec.field})`,
    type: spec.type,
    labelNames: [],
    collector,
    samples: fromData(collector, (d) => (d[spec.metric] === undefined ? [] : [{ labels: {}, value: d[spec.metric]! }])),
  }));
}

const sockstatFamilies: MetricFamily[] = [
  {
    name: `${PREFIX}sockstat_sockets_in_use`,
    help: 'TCP sockets in use by family, as /proc/net/sockstat{,6} counts them (TIME_WAIT excluded).',
    type: 'gauge',
    labelNames: ['family'],
    collector: 'sockstat',
    samples: fromData('sockstat', (d) => [
      { labels: { family: 'ipv4' }, value: d.ipv4.inuse },
      ...(d.ipv6 ? [{ labels: { family: 'ipv6' }, value: d.ipv6.inuse }] : []),
    ]),
  },
  ...(
    [
      ['sockstat_orphan_sockets', 'TCP sockets no longer attached to a process (/proc/net/sockstat TCP orphan).', 'orphan'],
      ['sockstat_time_wait_sockets', 'TCP sockets in TIME_WAIT, both families (/proc/net/sockstat TCP tw).', 'timeWait'],
      ['sockstat_allocated_sockets', 'TCP sockets allocated, any state (/proc/net/sockstat TCP alloc).', 'alloc'],
      ['sockstat_memory_bytes', 'Memory used by TCP socket buffers (/proc/net/sockstat TCP mem, pages x page size).', 'memoryBytes'],
    ] as const
  ).map(
    ([metric, help, key]): MetricFamily => ({
      name: `${PREFIX}${metric}`,
      help,
      type: 'gauge',
      labelNames: [],
      collector: 'sockstat',
      samples: fromData('sockstat', (d) => [{ labels: {}, value: d.ipv4[key] }]),
    }),
  ),
];

export const KERNEL_METRICS: readonly MetricFamily[] = [
  ...sysctlFamilies,
  deadPeer,
  ...counterFamilies('snmp', TCP_SNMP_FIELDS, '/proc/net/snmp Tcp'),
  ...counterFamilies('netstat', TCPEXT_FIELDS, '/proc/net/netstat TcpExt'),
  ...sockstatFamilies,
];
