import type { ClosedSocket } from '../model/closedSocket.js';
import {
  addClosedConnectionTotals,
  closedConnectionOf,
  zeroClosedConnectionTotals,
  type ClosedConnectionsSummary,
  type ClosedConnectionTotals,
} from './closedConnections.js';
import type { EphemeralRange } from './socketRoles.js';
import { SocketRoles } from './socketRoles.js';

/**
 * Closed connections per network namespace (keyed by its inode), state totals only, no ports:
 * what --collector.netns shows with --collector.connections. Each destroyed socket is folded by
 * closedConnectionOf(), the code of the per-port counters, so bytes are payload bytes exactly as
 * there. Totals only grow while a namespace is kept; retain() forgets the others.
 *
 * Memory: six numbers per namespace, and one SocketRoles (~450 KB) shared by all, for the role
 * only kernels before 4.19 need (sent()'s fallback): guessed from the ports and the ephemeral
 * range, as for a socket without a listener (no listeners are dumped in other namespaces).
 */
export class NamespaceClosedConnections {
  private readonly totals = new Map<number, ClosedConnectionTotals>();
  private readonly roles = new SocketRoles(0);
  private readonly one = zeroClosedConnectionTotals();

  /** The ephemeral range the role guess uses this cycle (null: the kernel's default). */
  startCycle(range: EphemeralRange | null): void {
    this.roles.reset(range);
  }

  /** Starts counting a namespace at zero (kept as is if already counted). */
  track(inode: number): void {
    if (!this.totals.has(inode)) this.totals.set(inode, zeroClosedConnectionTotals());
  }

  /**
   * One destroyed socket of namespace `inode`; those without a peer (listeners, never connected)
   * are no connection, one disconnected in its listener's accept queue is (the server's end).
   */
  add(inode: number, s: Readonly<ClosedSocket>): void {
    // Without the namespace's listeners, a disconnected socket on a port outside the ephemeral
    // range is taken for a child reset in its listener's accept queue; one inside it, for a
    // blocking connect() that failed (its peer port lost), left out as the port counters do.
    const disconnectedChild = s.disconnected && !this.roles.inEphemeralRange(s.localPort);
    if (s.remotePort === 0 && !disconnectedChild) return;
    let t = this.totals.get(inode);
    if (!t) {
      t = zeroClosedConnectionTotals();
      this.totals.set(inode, t);
    }
    addClosedConnectionTotals(t, closedConnectionOf(s, disconnectedChild || this.roles.isServer(s.localPort, s.remotePort), this.one));
  }

  /** A copy of the namespace's totals since it was first tracked, or undefined if it is not. */
  of(inode: number): ClosedConnectionTotals | undefined {
    const t = this.totals.get(inode);
    return t ? { ...t } : undefined;
  }

  /** Forgets every namespace not in `keep`. */
  retain(keep: ReadonlySet<number>): void {
    for (const inode of this.totals.keys()) if (!keep.has(inode)) this.totals.delete(inode);
  }
}

/** Every port and role of a per-port summary summed: the namespace-wide totals, exactly those ports' sum. */
export function sumClosedConnections(summary: Pick<ClosedConnectionsSummary, 'serverPorts' | 'clientPorts'>): ClosedConnectionTotals {
  const t = zeroClosedConnectionTotals();
  for (const p of summary.serverPorts) addClosedConnectionTotals(t, p);
  for (const p of summary.clientPorts) addClosedConnectionTotals(t, p);
  return t;
}
