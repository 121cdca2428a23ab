import type { PortRange } from '../aggregate/ephemeralPorts.js';
import { NO_SERIES_HYSTERESIS } from '../aggregate/portSeries.js';
import { recapPorts } from '../aggregate/recapPorts.js';
import { SocketAggregator } from '../aggregate/socketAggregator.js';
import type { PortStates, SocketSummary } from '../aggregate/socketSummary.js';
import { STATE_COUNT, type StateCounts } from '../model/tcpState.js';
import { parseCgroupIdentity } from '../parse/cgroup.js';
import { discoverNetworkNamespaces, type NetworkNamespace } from '../sources/netnsDiscovery.js';
import { readPortRange } from '../sources/portRange.js';
import { procPath, readSmallFile } from '../sources/procfsFiles.js';
import { NetlinkError, openSockDiagIn } from '../sources/netlink/libcNetlink.js';
import { NetlinkSocketSource } from '../sources/netlinkSocketSource.js';
import { ProcfsSocketSource } from '../sources/procfsSocketSource.js';
import { showsOwnNetns } from '../sources/selectSocketSource.js';
import { readlink } from 'node:fs/promises';
import type { CollectContext, Collector } from './collector.js';
import type { NetnsOptions } from './options.js';
import { walkWithFallback, type SocketSources, type SocketsResult } from './socketsCollector.js';
import type { SocketSource } from '../sources/socketSource.js';

const EPERM = 1;
/** setns() on a file that is not a network namespace. */
const EINVAL = 22;

function isUnopenableNamespace(err: unknown): boolean {
  if (err instanceof NetlinkError) return err.call === 'setns' && err.errno === EINVAL;
  const code = (err as { code?: string }).code;
  return code === 'ENOENT' || code === 'EACCES' || code === 'EPERM';
}

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
}

export interface NetnsResult {
  namespaces: readonly NamespaceSockets[];
  found: number;
  skipped: number;
  /** Namespaces whose socket tables could not be read (their process exited mid-cycle, or permission). */
  failed: number;
  /** Processes whose namespace could not be read. */
  unreadableProcesses: number;
}

/** The sockets collector's result for the cycle in flight, so the namespace this process is in is not walked twice. */
export type OwnNamespaceSummary = () => Promise<SocketsResult> | undefined;

/**
 * Per network namespace (opt-in, for the node-wide DaemonSet with the host's /proc): finds the
 * distinct namespaces of all processes and aggregates each one's sockets, labelled with the pod
 * and container its first process belongs to. The exporter's own namespace comes from the
 * sockets collector's walk of the same cycle; every other one is read from
 * /proc/<pid>/net/tcp{,6} of a process inside it (the kernel shows each process its own
 * namespace's table there) or, with CAP_SYS_ADMIN, over netlink from inside it; through the same
 * aggregator, one namespace at a time.
 */
export class NetnsCollector implements Collector<NetnsResult> {
  readonly name = 'netns';
  private readonly aggregator: SocketAggregator;
  private warnedUnreadable = false;
  private range: PortRange | null = null;
  /** Cleared for good the first time setns() is refused: every namespace is then read from procfs. */
  private netlinkAllowed = true;
  /** The inode of this process's own namespace when --path.procfs shows it; neither changes while we run. */
  private ownInodeOnce: Promise<number | undefined> | undefined;

  constructor(
    private readonly options: NetnsOptions,
    private readonly own: { summary: OwnNamespaceSummary; sources: SocketSources },
  ) {
    // One aggregator walks every namespace in turn: no memory across its walks (no hysteresis,
    // no remembered service ports), each namespace's summary is that walk's alone.
    this.aggregator = new SocketAggregator(
      { maxServerPorts: options.serverPorts, topClientPorts: options.clientPorts, pinnedPorts: [], ephemeralPorts: options.ephemeralPorts ?? 'fold' },
      NO_SERIES_HYSTERESIS,
      false,
    );
  }

  async collect(ctx: CollectContext): Promise<NetnsResult> {
    // The ephemeral range that decides roles and the "ephemeral" bucket: this namespace's, taken
    // for every namespace (each may set its own; reading another's takes entering it). Unreadable:
    // the kernel's default.
    this.range = await readPortRange(ctx.procfs).catch(() => null);
    const found = discoverNetworkNamespaces(ctx.procfs);
    if (found.unreadable > 0 && !this.warnedUnreadable) {
      this.warnedUnreadable = true;
      ctx.log.warn({ unreadable: found.unreadable }, 'cannot read the network namespace of some processes (needs CAP_SYS_PTRACE); their namespaces are not collected');
    }
    this.ownInodeOnce ??= ownNamespaceInode(ctx.procfs);
    const ownInode = await this.ownInodeOnce;
    const chosen = found.namespaces.slice(0, this.options.max);
    const namespaces: NamespaceSockets[] = [];
    let failed = 0;
    for (const ns of chosen) {
      try {
        const summary = ns.inode === ownInode ? await this.ownSummary() : await this.walk(ctx, ns);
        namespaces.push(await this.describe(ctx.procfs, ns, summary));
      } catch (err) {
        failed++;
        ctx.log.debug({ netns: ns.inode, pid: ns.pid, err: err instanceof Error ? err.message : String(err) }, 'network namespace not collected this cycle');
      }
    }
    return { namespaces, found: found.namespaces.length, skipped: found.namespaces.length - chosen.length, failed, unreadableProcesses: found.unreadable };
  }

  private async ownSummary(): Promise<SocketSummary> {
    const inFlight = this.own.summary();
    if (inFlight) {
      const r = await inFlight.catch(() => undefined);
      if (r) return r.summary;
    }
    // The sockets collector is off or failed this cycle: walk the namespace here.
    this.aggregator.reset(this.range);
    await walkWithFallback(this.own.sources, this.aggregator, () => this.aggregator.reset(this.range));
    return this.aggregator.summarize();
  }

  /**
   * A foreign namespace over netlink, through a socket opened inside it (the same dumps
   * as for our own; needs CAP_SYS_ADMIN), else from /proc/<pid>/net/tcp{,6}, which shows each
   * process its own namespace's table. Each walk costs about a pass over the kernel's connection
   * hash, which all namespaces share, so even an empty namespace costs a few milliseconds.
   */
  private async walk(ctx: CollectContext, ns: NetworkNamespace): Promise<SocketSummary> {
    if (this.netlinkAllowed) {
      const nsPath = procPath(ctx.procfs, `${ns.pid}/ns/net`);
      try {
        return await this.summarizeWalk(new NetlinkSocketSource(() => openSockDiagIn(nsPath)));
      } catch (err) {
        if (err instanceof NetlinkError && err.call === 'setns' && err.errno === EPERM) {
          this.netlinkAllowed = false;
          ctx.log.warn({ err: err.message }, 'cannot enter other network namespaces (needs CAP_SYS_ADMIN); reading their /proc/<pid>/net/tcp{,6} instead');
        } else if (!isUnopenableNamespace(err)) {
          throw err;
        }
        // Otherwise this namespace file cannot be entered (its process exited, or a fixture
        // tree's link is only text): try its procfs tables.
      }
    }
    return this.summarizeWalk(new ProcfsSocketSource(procPath(ctx.procfs, String(ns.pid))));
  }

  private async summarizeWalk(source: SocketSource): Promise<SocketSummary> {
    this.aggregator.reset(this.range);
    await source.walk(this.aggregator);
    return this.aggregator.summarize();
  }

  private async describe(procfs: string, ns: NetworkNamespace, summary: SocketSummary): Promise<NamespaceSockets> {
    const states = new Array<number>(STATE_COUNT).fill(0);
    for (let i = 0; i < STATE_COUNT; i++) states[i] = summary.byFamily.ipv4[i]! + summary.byFamily.ipv6[i]!;
    let identity = { podUid: null as string | null, containerId: null as string | null };
    if (!ns.host) {
      try {
        identity = parseCgroupIdentity(await readSmallFile(procPath(procfs, `${ns.pid}/cgroup`)));
      } catch {
        // The process exited: the namespace is reported without pod identity this cycle.
      }
    }
    const out: NamespaceSockets = { netns: ns.host ? 'host' : String(ns.inode), podUid: identity.podUid ?? '', containerId: identity.containerId ?? '', states };
    if (this.options.ports) {
      out.serverPorts = recapPorts(summary.serverPorts, this.options.serverPorts);
      out.clientPorts = recapPorts(summary.clientPorts, this.options.clientPorts);
    }
    return out;
  }
}

/** The inode of this process's network namespace, if --path.procfs shows that namespace. */
async function ownNamespaceInode(procfs: string): Promise<number | undefined> {
  if (!(await showsOwnNetns(procfs))) return undefined;
  const m = /^net:\[(\d+)\]$/.exec(await readlink('/proc/self/ns/net'));
  return m ? Number(m[1]) : undefined;
}
