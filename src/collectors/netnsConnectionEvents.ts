import { zeroClosedConnectionTotals, type ClosedConnectionTotals } from '../aggregate/closedConnections.js';
import type { EphemeralRange } from '../aggregate/socketRoles.js';
import { NamespaceClosedConnections, sumClosedConnections } from '../aggregate/namespaceClosedConnections.js';
import { errorMessage } from '../model/errno.js';
import { Bursts } from '../model/bursts.js';
import type { Log } from '../model/log.js';
import { Once } from '../model/once.js';
import { NamespaceDestroyEvents, type NamespaceDestroyEventsDeps } from '../sources/netlink/namespaceDestroyEvents.js';
import { NetlinkError } from '../sources/netlink/libcNetlink.js';
import type { NetworkNamespace } from '../sources/netnsDiscovery.js';
import { procPath } from '../sources/procfsFiles.js';
import type { InputResult } from './collector.js';
import type { ConnectionsResult } from './connectionsCollector.js';
import type { ConnectionsOptions } from './options.js';

const EPERM = 1;

/** One namespace's closed connections (state totals, no ports) and the destroy events lost, since they were first read. */
export interface NamespaceConnectionEvents extends ClosedConnectionTotals {
  /** Events the kernel dropped for the namespace's event socket (sk_drops): closed connections missing above. */
  lost: number;
}

/**
 * The per-namespace part of --collector.connections, for the netns collector: the exporter's own
 * namespace from the connections collector's result of the same cycle (its per-port totals
 * summed, so the two always agree); every other collected namespace from an event socket opened
 * inside it (NamespaceDestroyEvents), folded into per-namespace totals
 * (NamespaceClosedConnections). setns() refused (no CAP_SYS_ADMIN) turns the foreign namespaces
 * off for good, with one warning: their series are absent, never zero.
 */
export class NetnsConnectionEvents {
  private readonly totals = new NamespaceClosedConnections();
  private readonly events: NamespaceDestroyEvents;
  /** Why entering other namespaces was refused; set once, for good. */
  private refused: string | undefined;
  private readonly warned = new Once();
  /** Each namespace's lost events as of the last cycle. */
  private readonly lostSeen = new Map<number, number>();
  private readonly lossBursts = new Bursts();

  constructor(options: ConnectionsOptions, deps: NamespaceDestroyEventsDeps = {}) {
    this.events = new NamespaceDestroyEvents((inode, s) => this.totals.add(inode, s), options, deps);
  }

  /** Why other namespaces' events are not read (setns refused), or undefined. */
  get refusedBecause(): string | undefined {
    return this.refused;
  }

  /**
   * Starts a cycle: keeps the sockets (and totals) of the `chosen` namespaces other than ours
   * (`ownInode`) and closes the rest, then opens a socket in each chosen one without (found since,
   * or whose socket failed). A namespace that cannot be opened this cycle is tried again next.
   */
  async startCycle(procfs: string, chosen: readonly NetworkNamespace[], ownInode: number | undefined, range: EphemeralRange | null, log: Log): Promise<void> {
    const foreign = chosen.filter((ns) => ns.inode !== ownInode);
    const keep = new Set(foreign.map((ns) => ns.inode));
    this.events.retain(keep);
    this.totals.retain(keep);
    this.totals.startCycle(range);
    this.reportLoss(keep, log);
    const { sockets, poll } = this.events.failures();
    for (const [inode, err] of sockets) log.debug({ netns: inode, err: err.message }, 'reading the socket destroy events of a network namespace failed; reopened');
    if (poll && this.warned.first('poll')) log.warn({ err: poll.message }, 'waiting for the socket destroy events of other network namespaces failed');
    if (this.refused !== undefined) return;
    for (const ns of foreign) {
      if (this.events.has(ns.inode)) continue;
      try {
        await this.events.open(ns.inode, procPath(procfs, `${ns.pids[0]}/ns/net`));
        this.totals.track(ns.inode);
      } catch (err) {
        if (err instanceof NetlinkError && err.call === 'setns' && err.errno === EPERM) {
          this.refused = 'setns() refused: needs CAP_SYS_ADMIN';
          log.warn(
            { err: err.message },
            'cannot enter other network namespaces (needs CAP_SYS_ADMIN): their closed connections are not counted (tcpstate_netns_connection_events_namespaces{outcome="unread"})',
          );
          this.events.retain(new Set());
          return;
        }
        if (isGone(err)) {
          log.debug({ netns: ns.inode, pid: ns.pids[0], err: errorMessage(err) }, 'network namespace left before its destroy events could be read');
        } else {
          if (this.warned.first('open')) log.warn({ netns: ns.inode, err: errorMessage(err) }, 'cannot open a socket destroy event socket in a network namespace; tried again every cycle');
          log.debug({ netns: ns.inode, pid: ns.pids[0], err: errorMessage(err) }, 'destroy events of a network namespace not read this cycle');
        }
      }
    }
  }

  /**
   * What namespace `ns` counted, or undefined when its events are not read: ours when the
   * connections collector failed this cycle (or is not an input), another when it has no socket.
   */
  of(ns: NetworkNamespace, ownInode: number | undefined, connections: InputResult<ConnectionsResult | undefined> | undefined): NamespaceConnectionEvents | undefined {
    if (ns.inode === ownInode) {
      const own = connections?.ok ? connections.value : undefined;
      return own ? { ...sumClosedConnections(own), lost: own.lost } : undefined;
    }
    if (!this.events.has(ns.inode)) return undefined;
    return { ...(this.totals.of(ns.inode) ?? zeroClosedConnectionTotals()), lost: this.events.lost(ns.inode) };
  }

  /**
   * Logs once when other namespaces start losing events (warn, with the namespaces and how many),
   * and once when a cycle sees no new loss after that (info), as the own namespace's loss is logged.
   */
  private reportLoss(namespaces: ReadonlySet<number>, log: Log): void {
    const losing: Record<string, number> = {};
    let lost = 0;
    for (const inode of namespaces) {
      if (!this.events.has(inode)) continue;
      const now = this.events.lost(inode);
      const added = now - (this.lostSeen.get(inode) ?? 0);
      this.lostSeen.set(inode, now);
      if (added > 0) {
        losing[String(inode)] = added;
        lost += added;
      }
    }
    for (const inode of this.lostSeen.keys()) if (!namespaces.has(inode)) this.lostSeen.delete(inode);
    switch (this.lossBursts.next(lost > 0)) {
      case 'began':
        log.warn(
          { lost, netns: losing },
          'socket destroy events of other network namespaces lost: their receive buffers overflowed (raise --collector.netns.receive-buffer; tcpstate_netns_connection_events_lost_total)',
        );
        return;
      case 'ended':
        log.info({}, 'socket destroy events of other network namespaces no longer lost');
    }
  }

  /** Closes every socket (waits for the poll in flight: at most POLL_TIMEOUT_MS). */
  close(): Promise<void> {
    return this.events.close();
  }
}

/** The namespace's process exited (its ns/net link is gone) or the path is no namespace (a fixture tree). */
function isGone(err: unknown): boolean {
  if (err instanceof NetlinkError) return err.call === 'setns' && err.errno === 22; // EINVAL
  const code = (err as { code?: string }).code;
  return code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES';
}
