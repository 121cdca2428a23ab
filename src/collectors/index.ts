import type { SeriesHysteresis } from '../aggregate/portSeries.js';
import type { PortLimits } from '../aggregate/socketSummary.js';
import type { Collector } from './collector.js';
import type { NetnsResult } from './netnsCollector.js';
import { NetstatCollector } from './netstatCollector.js';
import { DEFAULT_NETNS_OPTIONS, DEFAULT_PROCESS_OPTIONS, type NetnsOptions, type ProcessOptions } from './options.js';
import type { ProcessesResult } from './processesCollector.js';
import { SnmpCollector, type CounterValues } from './snmpCollector.js';
import { SockstatCollector, type SockstatResult } from './sockstatCollector.js';
import { DEFAULT_EPHEMERAL_OPTIONS, SocketsCollector, type EphemeralOptions, type SocketSources, type SocketsResult } from './socketsCollector.js';
import { SysctlCollector, type SysctlResult } from './sysctlCollector.js';

/** What each collector contributes to a snapshot. The keys are the collector names. */
export interface CollectedData {
  sockets: SocketsResult;
  sysctl: SysctlResult;
  snmp: CounterValues;
  netstat: CounterValues;
  sockstat: SockstatResult;
  processes: ProcessesResult;
  netns: NetnsResult;
}

export type CollectorName = keyof CollectedData;

/** The explicit list of collectors, in the order they are documented and reported. */
export const COLLECTOR_NAMES: readonly CollectorName[] = ['sockets', 'sysctl', 'snmp', 'netstat', 'sockstat', 'processes', 'netns'];

/** Opt-in: each walks every process on the host (see docs/metrics.md for their cost). */
export const DEFAULT_OFF_COLLECTORS: ReadonlySet<CollectorName> = new Set(['processes', 'netns']);

export type CollectorSet = { [K in CollectorName]?: Collector<CollectedData[K]> };

export interface CollectorOptions {
  enabled: ReadonlySet<CollectorName>;
  /** The socket-table sources (shared by the sockets, processes and netns collectors), the sockets collector's caps and series hysteresis. */
  sockets: { sources: SocketSources; portLimits: PortLimits; ephemeral?: EphemeralOptions; hysteresis?: SeriesHysteresis };
  processes?: ProcessOptions;
  netns?: NetnsOptions;
}

export function buildCollectors(opts: CollectorOptions): CollectorSet {
  const { sources, portLimits, ephemeral = DEFAULT_EPHEMERAL_OPTIONS, hysteresis } = opts.sockets;
  const sockets = opts.enabled.has('sockets') ? new SocketsCollector(sources, portLimits, ephemeral, hysteresis) : undefined;
  const all: { [K in CollectorName]: () => Collector<CollectedData[K]> } = {
    sockets: () => sockets!,
    sysctl: () => new SysctlCollector(),
    snmp: () => new SnmpCollector(),
    netstat: () => new NetstatCollector(),
    sockstat: () => new SockstatCollector(),
    // The opt-in collectors' modules are loaded on their first collection only.
    processes: () => lazy('processes', async () => new (await import('./processesCollector.js')).ProcessesCollector(sources, opts.processes ?? DEFAULT_PROCESS_OPTIONS)),
    netns: () => lazy('netns', async () => new (await import('./netnsCollector.js')).NetnsCollector({ ...(opts.netns ?? DEFAULT_NETNS_OPTIONS), ephemeralPorts: portLimits.ephemeralPorts ?? 'fold' }, { summary: () => sockets?.current(), sources })),
  };
  const set: CollectorSet = {};
  for (const name of COLLECTOR_NAMES) {
    if (opts.enabled.has(name)) (set as Record<string, unknown>)[name] = all[name]();
  }
  return set;
}

/** A collector whose implementation is imported when it first collects. */
function lazy<T>(name: string, load: () => Promise<Collector<T>>): Collector<T> {
  let loaded: Promise<Collector<T>> | undefined;
  return {
    name,
    async collect(ctx) {
      loaded ??= load();
      return (await loaded).collect(ctx);
    },
  };
}

/** Descriptions for --help and docs, without building anything. */
export const COLLECTOR_DESCRIPTIONS: Readonly<Record<CollectorName, string>> = {
  sockets: 'TCP sockets per state, family and port; listen queues; queue bytes; keepalive coverage',
  sysctl: 'TCP sysctls that decide socket lifetime and memory (keepalive, FIN/TIME_WAIT, timestamps, backlogs, port range, tcp_mem)',
  snmp: 'TCP counters of /proc/net/snmp (opens, resets, segments, retransmissions)',
  netstat: 'TcpExt counters of /proc/net/netstat (listen overflows, aborts, TIME_WAIT overflow, syncookies, memory pressure)',
  sockstat: 'Kernel socket accounting of /proc/net/sockstat{,6} (in use, orphans, TIME_WAIT, memory)',
  processes: 'Top processes holding sockets in each state (CLOSE_WAIT owners first), from /proc/<pid>/fd; own interval',
  netns: 'Sockets per network namespace, labelled with the pod UID and container ID from the cgroup path',
};
