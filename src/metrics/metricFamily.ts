import type { CollectorName } from '../collectors/index.js';
import type { Snapshot } from '../snapshot/snapshot.js';

export interface Sample {
  labels: Readonly<Record<string, string>>;
  value: number;
  /**
   * Histograms and gauge histograms: which series of the family this is: "_bucket" (with `le`),
   * "_sum" or "_count" (a gauge histogram's are served as "_gsum" and "_gcount" in OpenMetrics).
   */
  suffix?: '_bucket' | '_sum' | '_count';
  /** Histograms: a bucket's upper bound (the `le` label, written last; Infinity for "+Inf"). */
  le?: number;
}

/**
 * One exported metric family, described once: /metrics serves it (metrics/exposition.ts),
 * docs/metrics.md is rendered from it, and tests compare the two.
 */
export interface MetricFamily {
  /** The full name as served, written out literally where the family is defined (grep finds it). */
  name: string;
  help: string;
  /**
   * "gaugehistogram": buckets of what exists at the last collection, which can go down; served as
   * OpenMetrics' gaugehistogram, and as a histogram in the text format, which has no such type.
   */
  type: 'gauge' | 'counter' | 'histogram' | 'gaugehistogram';
  /** Histograms: without `le`, which their _bucket series add. */
  labelNames: readonly string[];
  /** The collector whose data it shows, or "exporter" for self-metrics. */
  collector: CollectorName | 'exporter';
  /**
   * Samples from a snapshot. `nowMs` is the scrape time, for values that age between snapshots.
   * Memoized per snapshot unless `perScrape` is set.
   */
  samples(snapshot: Snapshot | undefined, nowMs: number): Iterable<Sample>;
  perScrape?: boolean;
  /**
   * One sample per collector, labelled collector="<name>": a scrape filtered with
   * collect[]/exclude[] keeps the chosen collectors' samples only.
   */
  perCollector?: boolean;
}

/** Helper for the many families that read one collector's data and have nothing without it. */
export function fromData<K extends keyof Snapshot['data']>(
  key: K,
  fn: (data: NonNullable<Snapshot['data'][K]>, snapshot: Snapshot) => Iterable<Sample>,
): (snapshot: Snapshot | undefined) => Iterable<Sample> {
  return (snapshot) => {
    const data = snapshot?.data[key];
    return data === undefined || snapshot === undefined ? [] : fn(data as NonNullable<Snapshot['data'][K]>, snapshot);
  };
}

/** A gauge with no labels whose one value is read from a collector's data (absent when `value` gives undefined); `name` is the full name. */
export function scalarGauge<K extends keyof Snapshot['data']>(
  collector: K,
  name: string,
  help: string,
  value: (data: NonNullable<Snapshot['data'][K]>) => number | undefined,
): MetricFamily {
  return {
    name,
    help,
    type: 'gauge',
    labelNames: [],
    collector,
    samples: fromData(collector, (d) => {
      const v = value(d);
      return v === undefined ? [] : [{ labels: {}, value: v }];
    }),
  };
}
