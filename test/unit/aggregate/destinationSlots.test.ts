import { describe, expect, it } from 'vitest';
import { DestinationSlots } from '../../../src/aggregate/destinationSlots.js';
import { DEFAULT_SERIES_HYSTERESIS, NO_SERIES_HYSTERESIS, type SeriesHysteresis } from '../../../src/aggregate/portSeries.js';

/** The kernel's default ip_local_port_range, 32768-60999: the usable ports of bench/churnWorkload.ts. */
const USABLE = 28232;

/** A small deterministic PRNG (mulberry32), so a failing sequence can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Drives DestinationSlots with one cycle's counts (key → ports connect() cannot reuse), ranked as
 * EphemeralPortTracker ranks them (busiest first; ties in an order drawn per cycle, as the
 * TIME_WAIT totals that break them move); returns the key in each slot.
 */
function cycle(slots: DestinationSlots, counts: ReadonlyMap<string, number>, k: number, rnd: () => number = () => 0, usable = USABLE) {
  const order = new Map([...counts.keys()].map((key) => [key, rnd()]));
  const ranked = [...counts]
    .sort(([a, x], [b, y]) => y - x || order.get(a)! - order.get(b)! || (a < b ? -1 : 1))
    .slice(0, k)
    .map(([key, value]) => ({ key, value }));
  return slots.assign(ranked, (key) => counts.get(key) ?? null, usable);
}

/**
 * The destinations of `npm run bench:churn -- 300 uniform` (bench/churnWorkload.ts), one cycle a
 * second: 30 pools drawn anew in 1-12 every 5 cycles, 12 in 1-10, 8 steady services of 3.
 */
function uniformWorkload(seed: number) {
  const rnd = random(seed);
  const counts = new Map<string, number>();
  for (let s = 0; s < 8; s++) counts.set(`svc${s}`, 3);
  return {
    rnd,
    counts,
    step(c: number): Map<string, number> {
      if (c % 5 === 0) {
        for (let p = 0; p < 30; p++) counts.set(`pool${p}`, 1 + Math.floor(rnd() * 12));
        for (let d = 0; d < 12; d++) counts.set(`dest${d}`, 1 + Math.floor(rnd() * 10));
      }
      return counts;
    },
  };
}

/** Every key a slot held over `cycles` cycles of the uniform workload. */
function namedOverUniform(seed: number, hysteresis: SeriesHysteresis, cycles = 300, k = 5): Set<string> {
  const w = uniformWorkload(seed);
  const slots = new DestinationSlots(k, hysteresis);
  const ever = new Set<string>();
  for (let c = 0; c < cycles; c++) for (const key of cycle(slots, w.step(c), k, w.rnd)) if (key !== null) ever.add(key);
  return ever;
}

describe('DestinationSlots take-over', () => {
  it('keeps the uniform worst case of the churn benchmark to the first five, where the per-cycle top 5 names nearly all', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      expect(namedOverUniform(seed, DEFAULT_SERIES_HYSTERESIS).size, `seed ${seed}`).toBe(5);
      // The sequence does rotate: without memory, most of the 42 pools are named at some point.
      expect(namedOverUniform(seed, NO_SERIES_HYSTERESIS).size, `seed ${seed}`).toBeGreaterThan(30);
    }
  });

  it('names a destination running out of ports within admitCycles cycles, over freshly admitted holders', () => {
    for (const at of [2, 150]) {
      const w = uniformWorkload(9);
      const slots = new DestinationSlots(5, DEFAULT_SERIES_HYSTERESIS);
      let namedAt = -1;
      for (let c = 0; c < 200 && namedAt < 0; c++) {
        const counts = w.step(c);
        // Past half the usable range: 15,000 of 28,232 ports (53 %).
        if (c >= at) counts.set('hot', 15_000);
        if (cycle(slots, counts, 5, w.rnd).includes('hot')) namedAt = c;
      }
      // In the top K from cycle `at`: its 4th consecutive cycle there is at + 3.
      expect(namedAt, `hot from cycle ${at}`).toBe(at + DEFAULT_SERIES_HYSTERESIS.admitCycles - 1);
    }
  });

  it('names one near the alert threshold over holders well below it, and keeps holders close to it', () => {
    const h = { admitCycles: 2, keepCycles: 40 };
    const heavy = new Map([['a', 17_000], ['b', 16_000]]);
    // 80 % against a weakest holder at 57 %: at most half its ports left (5,646 vs 12,232 / 2).
    const a = new DestinationSlots(2, h);
    cycle(a, heavy, 2);
    for (let c = 0; c < 3; c++) cycle(a, new Map([...heavy, ['hot', 22_586]]), 2);
    expect(cycle(a, new Map([...heavy, ['hot', 22_586]]), 2)).toEqual(['a', 'hot']);
    // 80 % against 70 %: both in trouble, both similar; no take-over for keepCycles.
    const b = new DestinationSlots(2, h);
    const close = new Map([['a', 20_000], ['b', 19_800]]);
    cycle(b, close, 2);
    for (let c = 0; c < 39; c++) expect(cycle(b, new Map([...close, ['hot', 22_586]]), 2)).toEqual(['a', 'b']);
  });

  it('passes a slot on to one running out at most once every admitCycles cycles', () => {
    const slots = new DestinationSlots(2, { admitCycles: 2, keepCycles: 40 });
    expect(cycle(slots, new Map([['a', 27_000], ['b', 100]]), 2)).toEqual(['a', 'b']);
    // a is gone but keeps its slot, with a peak nobody here can take over; b's slot goes to x.
    expect(cycle(slots, new Map([['x', 15_000]]), 2)).toEqual(['a', 'b']);
    const both = new Map([['x', 15_000], ['y', 25_000]]);
    expect(cycle(slots, both, 2)).toEqual(['a', 'x']);
    // y has ranked first for admitCycles cycles with at most half x's ports left, but x took the
    // slot a cycle ago.
    expect(cycle(slots, both, 2)).toEqual(['a', 'x']);
    expect(cycle(slots, both, 2)).toEqual(['a', 'y']);
  });

  it('gives the slot to one twice as busy for good only after keepCycles cycles among the K busiest', () => {
    const slots = new DestinationSlots(2, { admitCycles: 2, keepCycles: 10 });
    const before = new Map([['a', 10], ['b', 4]]);
    // The holders have held their slots keepCycles when c comes: only c's run is missing.
    for (let c = 1; c <= 12; c++) cycle(slots, before, 2);
    const after = new Map([...before, ['c', 9]]);
    for (let c = 1; c < 10; c++) expect(cycle(slots, after, 2), `cycle ${c} with c`).toEqual(['a', 'b']);
    expect(cycle(slots, after, 2)).toEqual(['a', 'c']);
  });

  it('never lets a destination that drops out of the top K build the run of busier for good', () => {
    const slots = new DestinationSlots(2, { admitCycles: 1, keepCycles: 10 });
    cycle(slots, new Map([['a', 10], ['b', 4]]), 2);
    // c is twice b's peak every other cycle, and out of the top 2 in between.
    for (let c = 0; c < 60; c++) expect(cycle(slots, new Map([['a', 10], ['b', 4], ['c', c % 2 ? 9 : 1]]), 2)).toEqual(['a', 'b']);
  });
});
