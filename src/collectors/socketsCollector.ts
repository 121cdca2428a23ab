import { SocketAggregator } from '../aggregate/socketAggregator.js';
import type { PortLimits, SocketSummary } from '../aggregate/socketSummary.js';
import type { BacklogSource, SocketSource, SocketSourceName, TableReport } from '../sources/socketSource.js';
import type { CollectContext, Collector } from './collector.js';

export interface SocketsResult {
  source: SocketSourceName;
  summary: SocketSummary;
  tables: readonly TableReport[];
  backlogSource: BacklogSource;
}

/** Walks the socket tables once per cycle and aggregates per state, family and port. */
export class SocketsCollector implements Collector<SocketsResult> {
  readonly name = 'sockets';
  readonly enabledByDefault = true;
  private readonly aggregator: SocketAggregator;
  private warnedMalformed = false;
  private warnedBacklog = false;

  constructor(
    private readonly source: SocketSource,
    limits: PortLimits,
  ) {
    this.aggregator = new SocketAggregator(limits);
  }

  async collect(ctx: CollectContext): Promise<SocketsResult> {
    this.aggregator.reset();
    const { tables, backlogSource, backlogError } = await this.source.walk(this.aggregator);
    if (backlogSource === 'failed' && !this.warnedBacklog) {
      this.warnedBacklog = true;
      ctx.log.warn({ err: backlogError }, 'cannot read listen backlogs over sock_diag netlink; tcpstate_listen_queue_backlog will be absent');
    }
    for (const t of tables) {
      if (t.malformed > 0 && !this.warnedMalformed) {
        // Once per process: a kernel whose format we misread would otherwise log every cycle.
        this.warnedMalformed = true;
        ctx.log.warn({ table: t.table, malformed: t.malformed, first: t.firstError }, 'skipped malformed socket lines');
      }
    }
    return { source: this.source.name, summary: this.aggregator.summarize(), tables, backlogSource };
  }
}
