import { collectDefaultMetrics, Registry } from 'prom-client';

/** The part of prom-client's metric protocol the registries use. */
export interface RegistryMetric {
  name: string;
  readonly help: string;
  readonly type: unknown;
  get(): unknown;
  /** Histograms: their samples with `le` kept apart, which the text renderer uses instead of get(). */
  getForPromString?: () => unknown;
}

/**
 * prom-client's process_* and nodejs_* metrics, less the gauges it names with a `_total` suffix
 * (nodejs_active_handles_total and kin), which `promtool check metrics` rejects. Made once for
 * both formats: each set has an event-loop-delay histogram and a GC observer of its own.
 */
export function defaultProcessMetrics(): RegistryMetric[] {
  const scratch = new Registry();
  collectDefaultMetrics({ register: scratch });
  return (scratch.getMetricsAsArray() as unknown as RegistryMetric[]).filter((m) => !(m.name.endsWith('_total') && String(m.type) !== 'counter'));
}

/**
 * A metric as the OpenMetrics registry sees it: an OpenMetrics render renames a counter in
 * place (it strips `_total`, to add it back per sample), which must not reach the object the
 * classic-format registry renders.
 */
export class MetricView implements RegistryMetric {
  name: string;
  readonly help: string;
  readonly type: unknown;
  readonly aggregator = 'sum';
  readonly getForPromString?: () => Promise<object>;
  constructor(private readonly metric: RegistryMetric) {
    this.name = metric.name;
    this.help = metric.help;
    this.type = metric.type;
    const forText = metric.getForPromString?.bind(metric);
    if (forText) this.getForPromString = async () => this.renamed(await forText());
  }
  async get(): Promise<object> {
    return this.renamed(await this.metric.get());
  }
  /** The shared metric's samples under this view's (possibly renamed) name. */
  private renamed(data: unknown): object {
    return { ...(data as object), name: this.name };
  }
  reset(): void {
    // The underlying metric is the classic registry's; it is never reset.
  }
}
