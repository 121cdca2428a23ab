import type { SeriesHysteresis } from '../aggregate/portSeries.js';
import type { PortLimits } from '../aggregate/socketSummary.js';
import type { SocketSource } from '../sources/socketSource.js';
import type { TcpInfoSummary } from '../aggregate/tcpInfoAggregator.js';
import type { Collector } from './collector.js';
import type { ConnectionsResult } from './connectionsCollector.js';
import type { NetnsResult } from './netnsCollector.js';
import { NetstatCollector } from './netstatCollector.js';
import {
  DEFAULT_CONNECTIONS_OPTIONS,
  DEFAULT_EPHEMERAL_OPTIONS,
  DEFAULT_NETNS_OPTIONS,
  DEFAULT_PROCESS_OPTIONS,
  NETNS_INPUTS,
  TCPINFO_INPUTS,
  type ConnectionsOptions,
  type EphemeralOptions,
  type NetnsOptions,
  type ProcessOptions,
} from './options.js';
import type { ProcessesResult } from './processesCollector.js';
import { SnmpCollector, type CounterValues } from './snmpCollector.js';
import { SockstatCollector, type SockstatResult } from './sockstatCollector.js';
import { SocketsCollector, type SocketsResult } from './socketsCollector.js';
import { SysctlCollector, type SysctlResult } from './sysctlCollector.js';

/**
 * What each collector contributes to a snapshot, keyed by collector name. The one line per
 * collector outside the table below (the table is typed by it, so tsc refuses a row missing
 * from either).
 */
export interface CollectedData {
  sockets: SocketsResult;
  sysctl: SysctlResult;
  snmp: CounterValues;
  netstat: CounterValues;
  sockstat: SockstatResult;
  processes: ProcessesResult;
  netns: NetnsResult;
  connections: ConnectionsResult;
  tcpinfo: TcpInfoSummary;
}

export type CollectorName = keyof CollectedData;

export type CollectorSet = { [K in CollectorName]?: Collector<CollectedData[K]> };

export interface CollectorOptions {
  enabled: ReadonlySet<CollectorName>;
  /** The socket-table source (shared by the sockets, processes and netns collectors), the sockets collector's caps and series hysteresis. */
  sockets: { source: SocketSource; portLimits: PortLimits; ephemeral?: EphemeralOptions; hysteresis?: SeriesHysteresis };
  processes?: ProcessOptions;
  netns?: NetnsOptions;
  connections?: ConnectionsOptions;
}

/** One row of the collector table: everything the rest of the exporter knows about a collector. */
export interface CollectorEntry<T> {
  /** What it reads, one line: `--help` and docs/metrics.md show it. */
  description: string;
  /** Runs unless `--no-collector.<name>` (or `--collector.disable-defaults`); off: `--collector.<name>` turns it on. */
  defaultOn: boolean;
  /** Why an opt-in collector is off, for `--help` (default: it walks every process). */
  offBecause?: string;
  /**
   * Collectors without which this one fails every cycle: turned on without them, it gets a
   * warning at start (config/inertFlags.ts) besides its per-cycle `success 0`.
   */
  needs?: readonly CollectorName[];
  /** Makes the collector; called only when it is enabled. */
  build(opts: CollectorOptions): Collector<T>;
}

/**
 * The collectors, in the order they are documented and reported. Adding one is adding a row:
 * its name, flags, description, default and result type all come from here.
 */
const COLLECTORS: { readonly [K in CollectorName]: CollectorEntry<CollectedData[K]> } = {
  sockets: {
    description: 'TCP sockets per state, family and port; listen queues; queue bytes; keepalive coverage',
    defaultOn: true,
    build: ({ enabled, sockets: { source, portLimits, ephemeral = DEFAULT_EPHEMERAL_OPTIONS, hysteresis } }) =>
      new SocketsCollector(source, portLimits, ephemeral, hysteresis, enabled.has('tcpinfo')),
  },
  sysctl: {
    description: 'TCP sysctls that decide socket lifetime and memory (keepalive, FIN/TIME_WAIT, timestamps, backlogs, port range, tcp_mem)',
    defaultOn: true,
    build: () => new SysctlCollector(),
  },
  snmp: {
    description: 'TCP counters of /proc/net/snmp (opens, resets, segments, retransmissions)',
    defaultOn: true,
    build: () => new SnmpCollector(),
  },
  netstat: {
    description: 'TcpExt counters of /proc/net/netstat (listen overflows, aborts, TIME_WAIT overflow, syncookies, memory pressure)',
    defaultOn: true,
    build: () => new NetstatCollector(),
  },
  sockstat: {
    description: 'Kernel socket accounting of /proc/net/sockstat{,6} (in use, orphans, TIME_WAIT, memory)',
    defaultOn: true,
    build: () => new SockstatCollector(),
  },
  // Off by default: each walks every process on the host (docs/attribution.md gives the cost).
  // Their modules are loaded on their first collection only.
  processes: {
    description: 'Top processes holding sockets in each state (CLOSE_WAIT owners first), from /proc/<pid>/fd; own interval',
    defaultOn: false,
    build: (opts) => lazy(async () => new (await import('./processesCollector.js')).ProcessesCollector(opts.sockets.source, opts.processes ?? DEFAULT_PROCESS_OPTIONS)),
  },
  netns: {
    description: 'Sockets per network namespace, labelled with the pod UID and container ID from the cgroup path; with connections on too, closed connections per namespace',
    defaultOn: false,
    build: (opts) => {
      const options = {
        ...(opts.netns ?? DEFAULT_NETNS_OPTIONS),
        ephemeralPorts: opts.sockets.portLimits.ephemeralPorts ?? 'fold',
        // Both on: closed connections per namespace too, each other namespace's socket with
        // --collector.netns.receive-buffer (up to --collector.netns.max of them may hold events).
        ...(opts.enabled.has('connections') ? { connectionEvents: { receiveBufferBytes: (opts.netns ?? DEFAULT_NETNS_OPTIONS).receiveBufferBytes } } : {}),
      };
      return lazy(async () => new (await import('./netnsCollector.js')).NetnsCollector(options, opts.sockets.source), NETNS_INPUTS);
    },
  },
  // Off by default: the kernel builds a message for every TCP socket it destroys while we listen.
  connections: {
    description: "Closed connections per port (count, data bytes, segments, retransmissions), from the kernel's TCP socket destroy events (sock_diag multicast); events lost",
    defaultOn: false,
    offBecause: 'the kernel reports every TCP socket it destroys',
    build: ({ sockets: { portLimits, hysteresis }, connections = DEFAULT_CONNECTIONS_OPTIONS }) =>
      lazy(async () => new (await import('./connectionsCollector.js')).ConnectionsCollector(portLimits, connections, hysteresis)),
  },
  // Off by default: the kernel fills a tcp_info per socket of the walk, under each socket's lock.
  tcpinfo: {
    description: 'RTT histogram and retransmitting sockets per port, from the tcp_info the sockets walk asks the kernel for (INET_DIAG_INFO; netlink only)',
    defaultOn: false,
    offBecause: 'the kernel fills a tcp_info per socket of the sockets walk',
    // Its one input is not optional: without the sockets walk there is no tcp_info to publish.
    needs: TCPINFO_INPUTS,
    build: () => lazy(async () => new (await import('./tcpinfoCollector.js')).TcpinfoCollector(), TCPINFO_INPUTS),
  },
};

/** Every collector name, in table order. (Object.keys of the table: exactly its keys.) */
export const COLLECTOR_NAMES: readonly CollectorName[] = Object.keys(COLLECTORS) as CollectorName[];

/** The table as `--help`, docs and flag parsing read it (descriptions and defaults; no building). */
export const COLLECTOR_TABLE: { readonly [K in CollectorName]: Readonly<Pick<CollectorEntry<unknown>, 'description' | 'defaultOn' | 'offBecause' | 'needs'>> } = COLLECTORS;

/** Opt-in collectors: those whose row says `defaultOn: false`. */
export const DEFAULT_OFF_COLLECTORS: ReadonlySet<CollectorName> = new Set(COLLECTOR_NAMES.filter((n) => !COLLECTORS[n].defaultOn));

/** Descriptions for --help and docs, without building anything. */
export const COLLECTOR_DESCRIPTIONS: Readonly<Record<CollectorName, string>> = Object.fromEntries(COLLECTOR_NAMES.map((n) => [n, COLLECTORS[n].description])) as Record<CollectorName, string>;

/** The enabled collectors, built from their rows. */
export function buildCollectors(opts: CollectorOptions): CollectorSet {
  const set: CollectorSet = {};
  // Object.assign: tsc cannot relate set[name] to its row's type for a name it only knows as a union.
  for (const name of COLLECTOR_NAMES) if (opts.enabled.has(name)) Object.assign(set, { [name]: COLLECTORS[name].build(opts) });
  return set;
}

/** A collector whose implementation is imported when it first collects; `inputs` as the implementation declares them. */
function lazy<T, In extends object>(load: () => Promise<Collector<T, In>>, inputs: readonly string[] = []): Collector<T, In> {
  let loaded: Promise<Collector<T, In>> | undefined;
  return {
    inputs,
    async collect(ctx, given) {
      loaded ??= load();
      return (await loaded).collect(ctx, given);
    },
    async close() {
      await (await loaded)?.close?.();
    },
  };
}
