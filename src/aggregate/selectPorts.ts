/**
 * Picks which ports get their own label value: every pinned port, plus the `cap` busiest
 * candidates (ties broken by the lower port so the choice is stable between cycles).
 * All other candidates are returned as `folded`, to be summed into port="other".
 */
export function selectPorts(
  totals: Uint32Array,
  cap: number,
  pinned: readonly number[],
  isCandidate: (port: number) => boolean,
): { named: number[]; folded: number[] } {
  const pinnedSet = new Set(pinned);
  const candidates: number[] = [];
  for (let port = 0; port < totals.length; port++) {
    if (!pinnedSet.has(port) && isCandidate(port)) candidates.push(port);
  }
  candidates.sort((a, b) => totals[b]! - totals[a]! || a - b);
  const named = [...pinnedSet, ...candidates.slice(0, Math.max(0, cap))].sort((a, b) => a - b);
  return { named, folded: candidates.slice(Math.max(0, cap)) };
}
