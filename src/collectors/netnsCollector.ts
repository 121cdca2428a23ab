import type { PortRange } from '../aggregate/ephemeralPorts.js';
import { NO_SERIES_HYSTERESIS } from '../aggregate/portSeries.js';
import { recapPorts } from '../aggregate/recapPorts.js';
import { SocketAggregator } from '../aggregate/socketAggregator.js';
import type { PortStates, SocketSummary } from '../aggregate/socketSummary.js';
import { errorMessage } from '../model/errno.js';
import { Once } from '../model/once.js';
import { STATE_SLOTS, zeroStates, type StateCounts } from '../model/tcpState.js';
import { parseCgroupIdentity } from '../parse/cgroup.js';
import { NamespaceSocketSources } from '../sources/namespaceSocketSource.js';
import { discoverNetworkNamespaces, type NetworkNamespace } from '../sources/netnsDiscovery.js';
import { readEffectiveCapabilities } from '../sources/ownCapabilities.js';
import { ownNetnsInode } from '../sources/ownNamespace.js';
import { readPortRange } from '../sources/portRange.js';
import { procPath, readSmallFile } from '../sources/procfsFiles.js';
import type { SocketSource } from '../sources/socketSource.js';
import type { CollectContext, CollectedInputs, Collector } from './collector.js';
import type { ConnectionsResult } from './connectionsCollector.js';
import { NetnsConnectionEvents, type NamespaceConnectionEvents } from './netnsConnectionEvents.js';
import { NETNS_INPUTS, type NetnsOptions } from './options.js';
import { unreadableProcessesWarning } from './privilegeHint.js';
import type { SocketsResult } from './socketsCollector.js';

export interface NamespaceSockets {
  /** "host", or the namespace's inode number. */
  netns: string;
  /** Kubernetes pod UID from the cgroup path of the namespace's first process; empty if none. */
  podUid: string;
  containerId: string;
  states: StateCounts;
  /** Present with --collector.netns.ports. */
  serverPorts?: readonly PortStates[];
  clientPorts?: readonly PortStates[];
  /**
   * With --collector.connections: closed connections since its destroy events were first read
   * (state totals). Absent when they are not read this cycle (setns refused, or ours when the
   * connections collector failed).
   */
  closedConnections?: NamespaceConnectionEvents;
}

export interface NetnsResult {
  namespaces: readonly NamespaceSockets[];
  found: number;
  skipped: number;
  /** Namespaces whose socket tables could not be read (their process exited mid-cycle, or permission). */
  failed: number;
  /** Processes whose namespace could not be read. */
  unreadableProcesses: number;
  /** With --collector.connections: collected namespaces whose closed connections are counted, and those whose are not. */
  connectionEvents?: { read: number; unread: number; refused?: string };
}

/**
 * The netns collector's inputs (NETNS_INPUTS): the sockets and connections collectors' results of
 * the same cycle, which hold the exporter's own namespace.
 */
export interface NetnsInputs {
  sockets: SocketsResult;
  /** Optional for callers without it (a test of the sockets part): then our own namespace's closed connections are absent. */
  connections?: ConnectionsResult;
}

/**
 * Per network namespace (opt-in, for the node-wide DaemonSet with the host's /proc): finds the
 * distinct namespaces of all processes and aggregates each one's sockets, labelled with the pod
 * and container its first process belongs to. The exporter's own namespace comes from the
 * sockets collector's walk of the same cycle (a declared input, see Collector.inputs), or from a
 * walk of `ownSource` when that collector failed or is off; every other one is read from
 * /proc/<pid>/net/tcp{,6} of a process inside it (the kernel shows each process its own
 * namespace's table there) or, with CAP_SYS_ADMIN, over netlink from inside it; through the same
 * aggregator, one namespace at a time.
 *
 * With --collector.connections on too (options.connectionEvents), each namespace also carries its
 * closed connections (NetnsConnectionEvents): ours from the connections collector of the same
 * cycle (a declared input), the others from an event socket opened inside each, kept open while
 * the namespace is collected and closed by close().
 */
export class NetnsCollector implements Collector<NetnsResult, NetnsInputs> {
  readonly inputs = NETNS_INPUTS satisfies ReadonlyArray<keyof NetnsInputs>;
  private readonly aggregator: SocketAggregator;
  private readonly warned = new Once();
  private range: PortRange | null = null;
  private readonly foreign = new NamespaceSocketSources();
  /** The inode of this process's own namespace when --path.procfs shows it; neither changes while we run. */
  private ownInodeOnce: Promise<number | undefined> | undefined;
  /** Per-namespace closed connections, when --collector.connections is on too. */
  private readonly events: NetnsConnectionEvents | undefined;

  constructor(
    private readonly options: NetnsOptions,
    /** The exporter's socket source (the sockets collector's): walked for its own namespace when the sockets input has no result. */
    private readonly ownSource: SocketSource,
  ) {
    // One aggregator walks every namespace in turn: no memory across its walks (no hysteresis,
    // no remembered service ports), each namespace's summary is that walk's alone.
    this.aggregator = new SocketAggregator(
      { maxServerPorts: options.serverPorts, topClientPorts: options.clientPorts, pinnedPorts: [], ephemeralPorts: options.ephemeralPorts ?? 'fold' },
      NO_SERIES_HYSTERESIS,
      false,
    );
    this.events = options.connectionEvents ? new NetnsConnectionEvents(options.connectionEvents) : undefined;
  }

  async collect(ctx: CollectContext, inputs?: CollectedInputs<NetnsInputs>): Promise<NetnsResult> {
    // The ephemeral range that decides roles and the "ephemeral" bucket: this namespace's, taken
    // for every namespace (each may set its own; reading another's takes entering it). Unreadable:
    // the kernel's default.
    this.range = await readPortRange(ctx.procfs).catch(() => null);
    const found = discoverNetworkNamespaces(ctx.procfs);
    if (found.unreadable > 0 && this.warned.first()) {
      const said = unreadableProcessesWarning(
        { reading: 'the network namespace', consequence: 'their namespaces are not collected', needs: ['CAP_SYS_PTRACE'], unreadable: found.unreadable, errors: found.unreadableErrors },
        await readEffectiveCapabilities(ctx.procfs),
      );
      ctx.log.warn(said.fields, said.msg);
    }
    this.ownInodeOnce ??= ownNetnsInode(ctx.procfs);
    const ownInode = await this.ownInodeOnce;
    const chosen = found.namespaces.slice(0, this.options.max);
    await this.events?.startCycle(ctx.procfs, chosen, ownInode, this.range, ctx.log);
    const namespaces: NamespaceSockets[] = [];
    let failed = 0;
    for (const ns of chosen) {
      const own = ns.inode === ownInode;
      let lastError: unknown;
      // Each of its pids in turn: one that exited since discovery fails the walk, the next may not.
      for (const pid of own ? [ns.pids[0]] : ns.pids) {
        try {
          const summary = own && inputs?.sockets.ok ? inputs.sockets.value.summary : await this.summarizeWalk(own ? this.ownSource : this.foreign.of(ctx.procfs, pid, ctx.log));
          const described = await this.describe(ctx.procfs, ns, pid, summary);
          const events = this.events?.of(ns, ownInode, inputs?.connections);
          if (events) described.closedConnections = events;
          namespaces.push(described);
          lastError = undefined;
          break;
        } catch (err) {
          lastError = err;
        }
      }
      if (lastError !== undefined) {
        failed++;
        ctx.log.debug({ netns: ns.inode, pids: ns.pids, err: errorMessage(lastError) }, 'network namespace not collected this cycle');
      }
    }
    const result: NetnsResult = { namespaces, found: found.namespaces.length, skipped: found.namespaces.length - chosen.length, failed, unreadableProcesses: found.unreadable };
    if (this.events) {
      const read = namespaces.filter((n) => n.closedConnections !== undefined).length;
      const refused = this.events.refusedBecause;
      result.connectionEvents = { read, unread: namespaces.length - read, ...(refused ? { refused } : {}) };
    }
    return result;
  }

  /** Closes the destroy-event sockets of other namespaces. */
  async close(): Promise<void> {
    await this.events?.close();
  }

  /**
   * One namespace's walk through the shared aggregator. Each costs about a pass over the kernel's
   * connection hash, which all namespaces share, so even an empty namespace costs a few milliseconds.
   */
  private async summarizeWalk(source: SocketSource): Promise<SocketSummary> {
    this.aggregator.reset(this.range);
    await source.walk(this.aggregator, () => this.aggregator.reset(this.range));
    return this.aggregator.summarize();
  }

  /** Namespace `ns` as reported, with the pod identity from the cgroup of `pid`, the one of its pids whose walk worked. */
  private async describe(procfs: string, ns: NetworkNamespace, pid: number, summary: SocketSummary): Promise<NamespaceSockets> {
    const states = zeroStates();
    for (let i = 0; i < STATE_SLOTS; i++) states[i] = summary.byFamily.ipv4[i]! + summary.byFamily.ipv6[i]!;
    let identity = { podUid: null as string | null, containerId: null as string | null };
    if (!ns.host) {
      try {
        identity = parseCgroupIdentity(await readSmallFile(procPath(procfs, `${pid}/cgroup`)));
      } catch {
        // The process exited: the namespace is reported without pod identity this cycle.
      }
    }
    const out: NamespaceSockets = { netns: ns.host ? 'host' : String(ns.inode), podUid: identity.podUid ?? '', containerId: identity.containerId ?? '', states };
    if (this.options.ports) {
      // The own namespace's summary is the sockets collector's, cut to its caps, pins and
      // hysteresis: it is cut again to this collector's caps (the others were walked with them).
      out.serverPorts = recapPorts(summary.serverPorts, this.options.serverPorts);
      out.clientPorts = recapPorts(summary.clientPorts, this.options.clientPorts);
    }
    return out;
  }
}
