/** What bench/collectOnce.ts prints for one process: its warm median, its cold first cycle, its peak. */
export interface CycleMeasure {
  sockets: number;
  /** Median warm cycle in one process (what a running exporter pays per cycle). */
  wallMs: number;
  cpuMs: number;
  /** The first, cold cycle of a fresh process. */
  coldMs: number;
  peakRssMb: number;
}

/** The q-quantile (0 ≤ q < 1) of xs: the element at floor(n·q) of the sorted values. */
export const quantile = (xs: readonly number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** Medians, field by field, of several processes' measures. */
export function medianMeasure(runs: readonly CycleMeasure[]): CycleMeasure {
  return {
    sockets: median(runs.map((r) => r.sockets)),
    wallMs: median(runs.map((r) => r.wallMs)),
    cpuMs: median(runs.map((r) => r.cpuMs)),
    coldMs: median(runs.map((r) => r.coldMs)),
    peakRssMb: median(runs.map((r) => r.peakRssMb)),
  };
}
