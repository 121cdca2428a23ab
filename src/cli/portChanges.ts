import type { PortStates, SocketSummary } from '../aggregate/socketSummary.js';
import { STATE_SLOTS } from '../model/tcpState.js';

export type PortRole = 'server' | 'client';

/** How one port's sockets changed between two snapshots. */
export interface PortChange {
  role: PortRole;
  /** A port number as a string, or "other". */
  port: string;
  /** Change of the port's total socket count. */
  total: number;
  /** Change per state, indexed by state code (StateCounts). */
  states: readonly number[];
}

function byPort(ports: readonly PortStates[]): Map<string, readonly number[]> {
  return new Map(ports.map((p) => [p.port, p.states]));
}

function diff(role: PortRole, before: readonly PortStates[], after: readonly PortStates[]): PortChange[] {
  const old = byPort(before);
  const now = byPort(after);
  const out: PortChange[] = [];
  for (const port of new Set([...old.keys(), ...now.keys()])) {
    const a = old.get(port);
    const b = now.get(port);
    const states = Array.from({ length: STATE_SLOTS }, (_, i) => (b?.[i] ?? 0) - (a?.[i] ?? 0));
    if (states.some((d) => d !== 0)) out.push({ role, port, total: states.reduce((x, y) => x + y, 0), states });
  }
  return out;
}

/**
 * Per port and role, the change of each state's count from `before` to `after`; ports with no
 * change are left out. A port present in one snapshot only counts as zero in the other. Largest
 * changes first (by the sum of the per-state changes' sizes), then servers before clients.
 */
export function portChanges(before: SocketSummary, after: SocketSummary): PortChange[] {
  const size = (c: PortChange): number => c.states.reduce((a, d) => a + Math.abs(d), 0);
  return [...diff('server', before.serverPorts, after.serverPorts), ...diff('client', before.clientPorts, after.clientPorts)].sort(
    (a, b) => size(b) - size(a) || (a.role === b.role ? 0 : a.role === 'server' ? -1 : 1) || portOrder(a.port, b.port),
  );
}

/** Port numbers ascending, "other" last. */
function portOrder(a: string, b: string): number {
  const rank = (p: string): number => (/^\d+$/.test(p) ? Number(p) : 65536);
  return rank(a) - rank(b);
}
