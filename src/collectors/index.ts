import type { PortLimits } from '../aggregate/socketSummary.js';
import type { Collector } from './collector.js';
import { NetstatCollector } from './netstatCollector.js';
import { SnmpCollector, type CounterValues } from './snmpCollector.js';
import { SockstatCollector, type SockstatResult } from './sockstatCollector.js';
import { SocketsCollector, type SocketSources, type SocketsResult } from './socketsCollector.js';
import { SysctlCollector, type SysctlResult } from './sysctlCollector.js';

/** What each collector contributes to a snapshot. The keys are the collector names. */
export interface CollectedData {
  sockets: SocketsResult;
  sysctl: SysctlResult;
  snmp: CounterValues;
  netstat: CounterValues;
  sockstat: SockstatResult;
}

export type CollectorName = keyof CollectedData;

/** The explicit list of collectors, in the order they are documented and reported. */
export const COLLECTOR_NAMES: readonly CollectorName[] = ['sockets', 'sysctl', 'snmp', 'netstat', 'sockstat'];

export type CollectorSet = { [K in CollectorName]?: Collector<CollectedData[K]> };

export interface CollectorOptions {
  enabled: ReadonlySet<CollectorName>;
  /** The sockets collector is either built here from its sources, or given (run off-thread). */
  sockets: { sources: SocketSources; portLimits: PortLimits } | Collector<SocketsResult>;
}

export function buildCollectors(opts: CollectorOptions): CollectorSet {
  const all: { [K in CollectorName]: () => Collector<CollectedData[K]> } = {
    sockets: () => ('sources' in opts.sockets ? new SocketsCollector(opts.sockets.sources, opts.sockets.portLimits) : opts.sockets),
    sysctl: () => new SysctlCollector(),
    snmp: () => new SnmpCollector(),
    netstat: () => new NetstatCollector(),
    sockstat: () => new SockstatCollector(),
  };
  const set: CollectorSet = {};
  for (const name of COLLECTOR_NAMES) {
    if (opts.enabled.has(name)) (set as Record<string, unknown>)[name] = all[name]();
  }
  return set;
}

/** Descriptions for --help and docs, without building anything. */
export const COLLECTOR_DESCRIPTIONS: Readonly<Record<CollectorName, string>> = {
  sockets: 'TCP sockets per state, family and port; listen queues; queue bytes; keepalive coverage',
  sysctl: 'TCP sysctls that decide socket lifetime (keepalive, FIN/TIME_WAIT, backlogs, port range)',
  snmp: 'TCP counters of /proc/net/snmp (opens, resets, segments, retransmissions)',
  netstat: 'TcpExt counters of /proc/net/netstat (listen overflows, aborts, TIME_WAIT overflow, syncookies)',
  sockstat: 'Kernel socket accounting of /proc/net/sockstat{,6} (in use, orphans, TIME_WAIT, memory)',
};
