/**
 * Picks which ports get their own label value: every pinned port, plus the `cap` busiest of the
 * ports in use (ties broken by the lower port so the choice is stable between cycles). The other
 * ports in use are returned as `folded`, to be summed into port="other".
 */
export function selectPorts(
  totals: Uint32Array,
  inUse: ArrayLike<number>,
  cap: number,
  pinned: readonly number[],
): { named: number[]; folded: number[] } {
  const pinnedSet = new Set(pinned);
  const candidates: number[] = [];
  for (let i = 0; i < inUse.length; i++) {
    const port = inUse[i]!;
    if (!pinnedSet.has(port)) candidates.push(port);
  }
  candidates.sort((a, b) => totals[b]! - totals[a]! || a - b);
  const named = [...pinnedSet, ...candidates.slice(0, Math.max(0, cap))].sort((a, b) => a - b);
  return { named, folded: candidates.slice(Math.max(0, cap)) };
}
