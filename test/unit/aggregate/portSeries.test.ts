import { describe, expect, it } from 'vitest';
import { NO_SERIES_HYSTERESIS, PortSeriesSelector } from '../../../src/aggregate/portSeries.js';

/** Runs one cycle with `counts` (port → sockets) and returns the selection. */
function cycle(sel: PortSeriesSelector, counts: Record<number, number>, fold: ((p: number) => boolean) | null = null) {
  const totals = new Uint32Array(65536);
  const inUse = Object.keys(counts).map(Number);
  for (const p of inUse) totals[p] = counts[p]!;
  return sel.select((port) => totals[port]!, inUse, fold);
}

describe('PortSeriesSelector', () => {
  it('names the ports in use at the first cycle at once, up to the cap, busiest first', () => {
    const sel = new PortSeriesSelector(2, [], { admitCycles: 4, keepCycles: 10 });
    expect(cycle(sel, { 80: 5, 443: 3, 22: 1 })).toEqual({ named: [80, 443], folded: [22], ephemeral: [] });
  });

  it('admits a newcomer only after admitCycles consecutive cycles in use', () => {
    const sel = new PortSeriesSelector(5, [], { admitCycles: 3, keepCycles: 10 });
    cycle(sel, { 80: 5 });
    expect(cycle(sel, { 80: 5, 9000: 50 }).named).toEqual([80]);
    expect(cycle(sel, { 80: 5, 9000: 50 }).named).toEqual([80]);
    expect(cycle(sel, { 80: 5, 9000: 50 }).named).toEqual([80, 9000]);
    // A port that comes and goes never builds a run of cycles.
    const flicker = new PortSeriesSelector(5, [], { admitCycles: 2, keepCycles: 10 });
    cycle(flicker, {});
    for (let i = 0; i < 10; i++) expect(cycle(flicker, i % 2 ? { 7000: 9 } : {}).named).toEqual([]);
  });

  it('keeps a port for keepCycles after it last ranked among the busiest, at zero when idle', () => {
    const sel = new PortSeriesSelector(5, [], { admitCycles: 1, keepCycles: 2 });
    cycle(sel, { 80: 5, 9000: 1 });
    expect(cycle(sel, { 80: 5 }).named).toEqual([80, 9000]);
    expect(cycle(sel, { 80: 5 }).named).toEqual([80, 9000]);
    expect(cycle(sel, { 80: 5 }).named).toEqual([80]);
  });

  it('never holds more than the cap: a newcomer takes a slot only from a port it is twice as busy as, held keepCycles', () => {
    const sel = new PortSeriesSelector(2, [], { admitCycles: 1, keepCycles: 3 });
    cycle(sel, { 1: 10, 2: 9 });
    // 3 is the busiest but not twice as busy as 2: it waits in "other".
    for (let i = 0; i < 6; i++) expect(cycle(sel, { 1: 10, 2: 9, 3: 15 })).toEqual({ named: [1, 2], folded: [3], ephemeral: [] });
    // Twice 2's peak: it takes 2's slot (held for more than keepCycles).
    expect(cycle(sel, { 1: 10, 2: 9, 3: 20 })).toEqual({ named: [1, 3], folded: [2], ephemeral: [] });
    // 2 is now the one waiting: not twice as busy as 1, nothing moves; twice as busy as 1 (held for
    // more than keepCycles), it takes 1's slot, not 3's (held for fewer).
    expect(cycle(sel, { 1: 10, 2: 19, 3: 20 })).toEqual({ named: [1, 3], folded: [2], ephemeral: [] });
    expect(cycle(sel, { 1: 10, 2: 45, 3: 20 })).toEqual({ named: [2, 3], folded: [1], ephemeral: [] });
  });

  it('keeps a port while it is in use, however long a port less than twice as busy outranks it', () => {
    const sel = new PortSeriesSelector(2, [], { admitCycles: 1, keepCycles: 1 });
    cycle(sel, { 1: 10, 2: 10 });
    for (let i = 0; i < 10; i++) expect(cycle(sel, { 1: 10, 2: 5, 3: 9 }).named).toEqual([1, 2]);
  });

  it('does not rotate ports of similar counts in and out of the top K', () => {
    const sel = new PortSeriesSelector(3, [], { admitCycles: 2, keepCycles: 20 });
    const ever = new Set<number>();
    for (let c = 0; c < 200; c++) {
      const counts: Record<number, number> = {};
      for (let p = 0; p < 6; p++) counts[5000 + p] = 10 + ((c * 7 + p * 13) % 5);
      for (const p of cycle(sel, counts).named) ever.add(p);
    }
    expect(ever.size).toBe(3);
    // The same counts with no hysteresis name every one of the six at some point.
    const plain = new PortSeriesSelector(3, [], NO_SERIES_HYSTERESIS);
    const plainEver = new Set<number>();
    for (let c = 0; c < 200; c++) {
      const counts: Record<number, number> = {};
      for (let p = 0; p < 6; p++) counts[5000 + p] = 10 + ((c * 7 + p * 13) % 5);
      for (const p of cycle(plain, counts).named) plainEver.add(p);
    }
    expect(plainEver.size).toBe(6);
  });

  it('with no hysteresis is the busiest K of each cycle', () => {
    const sel = new PortSeriesSelector(1, [], NO_SERIES_HYSTERESIS);
    expect(cycle(sel, { 80: 5, 81: 1 }).named).toEqual([80]);
    expect(cycle(sel, { 80: 1, 81: 5 }).named).toEqual([81]);
    expect(cycle(sel, { 80: 1 }).named).toEqual([80]);
  });

  it('folds ports the predicate calls ephemeral, but never a pinned one', () => {
    const sel = new PortSeriesSelector(5, [40001], { admitCycles: 1, keepCycles: 1 });
    const r = cycle(sel, { 80: 1, 40000: 9, 40001: 1, 40002: 3 }, (p) => p >= 32768);
    expect(r).toEqual({ named: [80, 40001], folded: [], ephemeral: [40000, 40002] });
  });
});
