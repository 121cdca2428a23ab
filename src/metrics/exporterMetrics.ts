import { COLLECTOR_NAMES } from '../collectors/index.js';
import type { CollectorStatus, Snapshot } from '../snapshot/snapshot.js';
import type { MetricFamily, Sample } from './metricFamily.js';

function* perCollector(snapshot: Snapshot | undefined, value: (s: CollectorStatus) => number): Iterable<Sample> {
  for (const name of COLLECTOR_NAMES) {
    const s = snapshot?.status[name];
    if (s) yield { labels: { collector: name }, value: value(s) };
  }
}

export const EXPORTER_METRICS: readonly MetricFamily[] = [
  {
    name: 'tcpstate_collector_duration_seconds',
    help: 'How long each collector took in the last collection cycle.',
    type: 'gauge',
    labelNames: ['collector'],
    collector: 'exporter',
    perCollector: true,
    samples: (s) => perCollector(s, (c) => c.durationSeconds),
  },
  {
    name: 'tcpstate_collector_success',
    help: 'Whether each collector succeeded in the last collection cycle (1) or failed (0; its metrics are then absent).',
    type: 'gauge',
    labelNames: ['collector'],
    collector: 'exporter',
    perCollector: true,
    samples: (s) => perCollector(s, (c) => (c.success ? 1 : 0)),
  },
  {
    name: 'tcpstate_stuck_reads',
    help: 'Reads of files under --path.procfs that hang: under way for at least half of --collector.timeout when the last cycle was published, each holding a libuv pool thread; a file is not read again while its read is under way.',
    type: 'gauge',
    labelNames: [],
    collector: 'exporter',
    samples: (s) => (s ? [{ labels: {}, value: s.stuckReads.length }] : []),
  },
  {
    name: 'tcpstate_collection_duration_seconds',
    help: 'How long the last whole collection cycle took.',
    type: 'gauge',
    labelNames: [],
    collector: 'exporter',
    samples: (s) => (s ? [{ labels: {}, value: s.durationSeconds }] : []),
  },
  {
    name: 'tcpstate_collection_interval_seconds',
    help: 'The configured time between collections (--collector.interval), for staleness alerts on tcpstate_snapshot_age_seconds.',
    type: 'gauge',
    labelNames: [],
    collector: 'exporter',
    samples: (s) => (s ? [{ labels: {}, value: s.intervalSeconds }] : []),
  },
  {
    name: 'tcpstate_snapshot_timestamp_seconds',
    help: 'When the served snapshot was taken, in seconds since the epoch.',
    type: 'gauge',
    labelNames: [],
    collector: 'exporter',
    samples: (s) => (s ? [{ labels: {}, value: s.takenAtMs / 1000 }] : []),
  },
  {
    name: 'tcpstate_snapshot_age_seconds',
    help: 'Age of the served snapshot at scrape time; grows past the collection interval when collection is stuck.',
    type: 'gauge',
    labelNames: [],
    collector: 'exporter',
    perScrape: true,
    samples: (s, nowMs) => (s ? [{ labels: {}, value: Math.max(0, (nowMs - s.takenAtMs) / 1000) }] : []),
  },
];
