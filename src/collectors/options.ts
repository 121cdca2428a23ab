/**
 * Options of the collectors, apart from the collectors themselves: the configuration and the docs
 * need them, and importing an opt-in collector's module would load it (and what it loads) into
 * every exporter, the ones that never turn it on included (measured: ~5 MB resident).
 */
export interface EphemeralOptions {
  /** Destinations reported by name, busiest first (0: only the unlabelled totals). */
  topDestinations: number;
  /** Whether those carry the remote address (off: rank and remote port only). */
  remoteAddresses: boolean;
}

export const DEFAULT_EPHEMERAL_OPTIONS: EphemeralOptions = { topDestinations: 5, remoteAddresses: true };

export interface ProcessOptions {
  /** Time between scans; cycles in between serve the last scan. */
  intervalMs: number;
  /** Processes reported per state. */
  top: number;
  /** Label each process by pid as well as name. */
  pids: boolean;
}

export const DEFAULT_PROCESS_OPTIONS: ProcessOptions = { intervalMs: 60_000, top: 5, pids: false };

export interface NetnsOptions {
  /** Namespaces collected per cycle, the host's first; the rest are counted as skipped. */
  max: number;
  /** Per-namespace port series as well as state totals. */
  ports: boolean;
  serverPorts: number;
  clientPorts: number;
  /** As PortLimits.ephemeralPorts (the sockets collector's setting). */
  ephemeralPorts?: 'fold' | 'number';
  /**
   * SO_RCVBUF asked for each other namespace's socket destroy events, in bytes
   * (--collector.netns.receive-buffer; used when --collector.connections is on too).
   */
  receiveBufferBytes: number;
  /**
   * Set when --collector.connections is on too: closed connections per namespace, each other
   * namespace's from an event socket with this receive buffer.
   */
  connectionEvents?: ConnectionsOptions;
}

/**
 * Default SO_RCVBUF asked for each other namespace's event socket, in bytes: 2 MiB granted holds
 * ~1,600 events, 800 ms of 2,000 closes/s in one pod, and 100 namespaces can hold at most 200 MiB
 * of kernel memory, only while events pile up (the own namespace's default is 4 MiB: one socket).
 */
export const NAMESPACE_RECEIVE_BUFFER = 1024 * 1024;

export const DEFAULT_NETNS_OPTIONS: NetnsOptions = { max: 100, ports: false, serverPorts: 10, clientPorts: 5, receiveBufferBytes: NAMESPACE_RECEIVE_BUFFER };

/**
 * The netns collector's inputs (Collector.inputs): the sockets collector's walk of this cycle
 * already holds the exporter's own namespace, and the connections collector's totals its closed
 * connections. Here so the collector list can declare them without loading the opt-in module.
 */
export const NETNS_INPUTS = ['sockets', 'connections'] as const;

export interface ConnectionsOptions {
  /**
   * SO_RCVBUF asked for the event socket, in bytes. The kernel doubles it for its bookkeeping and
   * caps it at net.core.rmem_max (twice that) unless the exporter has CAP_NET_ADMIN; one event
   * takes ~1.3 KB of it (the skb's truesize), so the default holds ~6,000 events on a host whose
   * rmem_max allows it (on a default rmem_max of 208 KiB: ~330).
   */
  receiveBufferBytes: number;
}

export const DEFAULT_CONNECTIONS_OPTIONS: ConnectionsOptions = { receiveBufferBytes: 4 * 1024 * 1024 };

/** The tcpinfo collector's inputs (Collector.inputs): the sockets collector's walk carries its tcp_info. */
export const TCPINFO_INPUTS = ['sockets'] as const;
