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

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

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
