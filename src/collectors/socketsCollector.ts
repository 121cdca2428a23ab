import { SocketAggregator } from '../aggregate/socketAggregator.js';
import type { PortLimits, SocketSummary } from '../aggregate/socketSummary.js';
import type { BacklogSource, SocketSource, SocketSourceName, TableReport, WalkReport } from '../sources/socketSource.js';
import type { CollectContext, Collector } from './collector.js';

export interface SocketsResult {
  /** The source that produced this cycle's data (the fallback's name when it was used). */
  source: SocketSourceName;
  summary: SocketSummary;
  tables: readonly TableReport[];
  backlogSource: BacklogSource;
  /** Cycles, since start, in which the primary source failed and the fallback was used. */
  fallbacks: number;
}

export interface SocketSources {
  primary: SocketSource;
  /** Walked instead of the primary for a cycle in which the primary fails (netlink -> procfs). */
  fallback?: SocketSource;
}

/** Walks the socket tables once per cycle and aggregates per state, family and port. */
export class SocketsCollector implements Collector<SocketsResult> {
  readonly name = 'sockets';
  private readonly aggregator: SocketAggregator;
  private readonly warned = new Set<string>();
  private fallbacks = 0;

  constructor(
    private readonly sources: SocketSources,
    limits: PortLimits,
  ) {
    this.aggregator = new SocketAggregator(limits);
  }

  async collect(ctx: CollectContext): Promise<SocketsResult> {
    const { primary, fallback } = this.sources;
    let used = primary;
    let report: WalkReport;
    this.aggregator.reset();
    try {
      report = await primary.walk(this.aggregator);
    } catch (err) {
      if (!fallback) throw err;
      // The failed walk may have added part of the table: start the cycle over.
      this.aggregator.reset();
      this.fallbacks++;
      this.once(`fallback:${errorText(err)}`, () =>
        ctx.log.warn({ source: primary.name, fallback: fallback.name, err: errorText(err) }, 'socket source failed; this cycle uses the fallback'),
      );
      used = fallback;
      report = await fallback.walk(this.aggregator);
    }
    if (report.backlogSource === 'failed') {
      this.once('backlog', () =>
        ctx.log.warn({ err: report.backlogError }, 'cannot read listen backlogs over sock_diag netlink; tcpstate_listen_queue_backlog will be absent'),
      );
    }
    for (const t of report.tables) {
      // Once per table: a kernel whose format we misread would otherwise log every cycle.
      if (t.malformed > 0) this.once(`malformed:${t.table}`, () => ctx.log.warn({ table: t.table, malformed: t.malformed, first: t.firstError }, 'skipped malformed socket lines'));
    }
    return { source: used.name, summary: this.aggregator.summarize(), tables: report.tables, backlogSource: report.backlogSource, fallbacks: this.fallbacks };
  }

  private once(key: string, fn: () => void): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    fn();
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
