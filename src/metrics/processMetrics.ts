import { collectDefaultMetrics, Registry } from 'prom-client';
import type { FamilyType, WrittenFamily, WrittenSample } from './textFormat.js';

/**
 * prom-client's process_* and nodejs_* metrics (CPU, memory, descriptors, event-loop lag, heap,
 * GC), in a private registry that holds nothing else, read through its public getMetricsAsJSON()
 * and written by textFormat.ts in either format, so one set serves both (each set has an
 * event-loop-delay histogram and a GC observer of its own). The gauges prom-client names with a
 * `_total` suffix (nodejs_active_handles_total and kin), which `promtool check metrics` rejects,
 * are left out.
 */
export class ProcessMetrics {
  private readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    for (const m of this.registry.getMetricsAsArray()) {
      if (m.name.endsWith('_total') && familyType(m.type) !== 'counter') this.registry.removeSingleMetric(m.name);
    }
  }

  /** Current values, read from the process and V8 on every call (about 0.7 ms). */
  families(): Promise<WrittenFamily[]> {
    return registryFamilies(this.registry);
  }
}

/** Every metric of a prom-client registry, through its public getMetricsAsJSON(), as textFormat.ts writes them. */
export async function registryFamilies(registry: Pick<Registry, 'getMetricsAsJSON'>): Promise<WrittenFamily[]> {
  return (await registry.getMetricsAsJSON()).map((m) => ({
    name: m.name,
    help: m.help,
    type: familyType(m.type),
    samples: m.values.map((v): WrittenSample => ({ suffix: sampleSuffix(m.name, v), labels: v.labels, value: v.value })),
  }));
}

/**
 * prom-client's declarations type `type` as a numeric enum, while its objects carry the strings
 * "counter", "gauge", "histogram", "summary": checked at run time, so a change in either shows.
 */
function familyType(type: unknown): FamilyType {
  const t = String(type);
  if (t === 'counter' || t === 'gauge' || t === 'histogram') return t;
  throw new Error(`prom-client metric type "${t}" has no writer here`);
}

/**
 * A histogram's samples carry their own name (`<name>_bucket`, `_sum`, `_count`) in a
 * `metricName` field its declarations do not list; found at run time and kept as the suffix.
 */
function sampleSuffix(family: string, value: object): string | undefined {
  if (!('metricName' in value) || typeof value.metricName !== 'string') return undefined;
  const suffix = value.metricName.slice(family.length);
  if (!value.metricName.startsWith(family) || !['', '_bucket', '_sum', '_count'].includes(suffix)) {
    throw new Error(`prom-client sample "${value.metricName}" is not of family "${family}"`);
  }
  return suffix;
}
