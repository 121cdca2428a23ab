import { EphemeralPortTracker, NO_TIME_WAIT_REUSE, type EphemeralPortUsage, type PortRange, type TimeWaitReuseSysctls } from '../aggregate/ephemeralPorts.js';
import { DEFAULT_SERIES_HYSTERESIS, type SeriesHysteresis } from '../aggregate/portSeries.js';
import { SocketAggregator } from '../aggregate/socketAggregator.js';
import { DEFAULT_EPHEMERAL_RANGE } from '../aggregate/socketRoles.js';
import type { PortLimits, SocketSummary } from '../aggregate/socketSummary.js';
import { TcpInfoAggregator, type TcpInfoSummary } from '../aggregate/tcpInfoAggregator.js';
import { errorMessage } from '../model/errno.js';
import { Once } from '../model/once.js';
import type { SocketRecord, SocketSink } from '../model/socketRecord.js';
import { readPortRange, readTimeWaitReuseSysctls } from '../sources/portRange.js';
import type { BacklogSource, SocketSource, SocketSourceName, TableReport } from '../sources/socketSource.js';
import type { CollectContext, Collector } from './collector.js';
import { DEFAULT_EPHEMERAL_OPTIONS, type EphemeralOptions } from './options.js';

export interface SocketsResult {
  /** The source that produced this cycle's data (the fallback's name when it was used). */
  source: SocketSourceName;
  summary: SocketSummary;
  /** Null when the ephemeral port range cannot be read (then the reason is logged once). */
  ephemeral: EphemeralPortUsage | null;
  tables: readonly TableReport[];
  backlogSource: BacklogSource;
  /** Cycles, since start, in which the primary source failed and the fallback was used. */
  fallbacks: number;
  /**
   * With --collector.tcpinfo: the RTT and retransmission state per port from this walk's tcp_info
   * (the tcpinfo collector publishes it); null when the walk had none (a source other than
   * netlink). Absent without --collector.tcpinfo.
   */
  tcpInfo?: TcpInfoSummary | null;
}

/**
 * Walks the socket tables once per cycle and aggregates per state, family and port, and the
 * ephemeral ports held per destination, in the same pass; with `tcpInfo` (--collector.tcpinfo),
 * also each ESTABLISHED socket's RTT and retransmission state from the tcp_info the walk then asks
 * the kernel for, by the role the socket aggregator gave it.
 */
export class SocketsCollector implements Collector<SocketsResult> {
  private readonly aggregator: SocketAggregator;
  private readonly ephemeral: EphemeralPortTracker;
  private readonly sink: SocketSink;
  /** Conditions logged once, not every cycle (a kernel we misread, a sysctl we cannot read). */
  private readonly warned = new Once();
  private fallbacks = 0;
  private readonly tcpInfo: TcpInfoAggregator | undefined;

  constructor(
    private readonly source: SocketSource,
    private readonly limits: PortLimits,
    private readonly ephemeralOptions: EphemeralOptions = DEFAULT_EPHEMERAL_OPTIONS,
    hysteresis: SeriesHysteresis = DEFAULT_SERIES_HYSTERESIS,
    tcpInfo = false,
  ) {
    const aggregator = new SocketAggregator(limits, hysteresis);
    const ephemeral = new EphemeralPortTracker(ephemeralOptions.topDestinations, undefined, hysteresis);
    this.aggregator = aggregator;
    this.ephemeral = ephemeral;
    const info = tcpInfo ? new TcpInfoAggregator(aggregator.portIndex(true), aggregator.portIndex(false)) : undefined;
    this.tcpInfo = info;
    // One role decision per socket for all: a server socket's local port is the service's.
    this.sink = info
      ? {
          add(s: Readonly<SocketRecord>): void {
            const server = aggregator.add(s);
            ephemeral.add(s, server);
            info.add(s, server, aggregator.lastPortSlot);
          },
        }
      : {
          add(s: Readonly<SocketRecord>): void {
            ephemeral.add(s, aggregator.add(s));
          },
        };
  }

  async collect(ctx: CollectContext): Promise<SocketsResult> {
    const range = await this.portRange(ctx);
    if (range !== null && range.low < DEFAULT_EPHEMERAL_RANGE.low && this.limits.ephemeralPorts !== 'number' && this.warned.first('wide-range')) {
      ctx.log.warn(
        { low: range.low, high: range.high },
        'ip_local_port_range starts below 32768 and may cover service ports: sockets on ports in it are reported as port="ephemeral"; pin service ports (--collector.ports.pin) or report them by number (--collector.ports.ephemeral-by-number)',
      );
    }
    const reuse = range === null ? NO_TIME_WAIT_REUSE : await this.timeWaitReuse(ctx);
    this.reset(range, reuse);
    // A primary that failed midway may have fed part of the table: the fallback starts over.
    const report = await this.source.walk(this.sink, () => this.reset(range, reuse), { tcpInfo: this.tcpInfo !== undefined });
    const fellBack = report.fellBack;
    if (fellBack) {
      this.fallbacks++;
      if (this.warned.first(`fallback:${fellBack.primaryError}`)) ctx.log.warn({ source: this.source.name, fallback: fellBack.source, err: fellBack.primaryError }, 'socket source failed; this cycle uses the fallback');
    }
    if (report.backlogSource === 'failed' && this.warned.first('backlog')) {
      ctx.log.warn({ err: report.backlogError }, 'cannot read listen backlogs over sock_diag netlink; tcpstate_listen_queue_backlog will be absent');
    }
    for (const t of report.tables) {
      // Once per table: a kernel whose format we misread would otherwise log every cycle.
      if (t.malformed > 0 && this.warned.first(`malformed:${t.table}`)) ctx.log.warn({ table: t.table, malformed: t.malformed, first: t.firstError }, 'skipped malformed socket lines');
    }
    const summary = this.aggregator.summarize();
    const tcpInfo = this.tcpInfo === undefined ? {} : { tcpInfo: report.tcpInfo === true ? this.tcpInfoSummary(summary, range) : null };
    return {
      ...tcpInfo,
      source: fellBack?.source ?? this.source.name,
      summary,
      ephemeral: this.ephemeralUsage(),
      tables: report.tables,
      backlogSource: report.backlogSource,
      fallbacks: this.fallbacks,
    };
  }

  private reset(range: PortRange | null, reuse: TimeWaitReuseSysctls): void {
    this.aggregator.reset(range);
    this.ephemeral.reset(range, reuse);
    this.tcpInfo?.reset();
  }

  /** The tcp_info of this walk by the port series its summary chose; the range as the roles took it. */
  private tcpInfoSummary(summary: SocketSummary, range: PortRange | null): TcpInfoSummary {
    const { low, high } = range ?? DEFAULT_EPHEMERAL_RANGE;
    return this.tcpInfo!.summarize(summary.serverPorts, summary.clientPorts, (p) => p >= low && p <= high);
  }

  private async portRange(ctx: CollectContext): Promise<PortRange | null> {
    try {
      return await readPortRange(ctx.procfs);
    } catch (err) {
      if (this.warned.first('port-range')) ctx.log.warn({ err: errorMessage(err) }, 'cannot read the ephemeral port range; the tcpstate_ephemeral_port_* metrics will be absent');
      return null;
    }
  }

  /** tcp_tw_reuse and tcp_timestamps; unreadable, TIME_WAIT ports count as held (no reuse). */
  private async timeWaitReuse(ctx: CollectContext): Promise<TimeWaitReuseSysctls> {
    try {
      return await readTimeWaitReuseSysctls(ctx.procfs);
    } catch (err) {
      if (this.warned.first('tw-reuse')) ctx.log.warn({ err: errorMessage(err) }, 'cannot read tcp_tw_reuse or tcp_timestamps; TIME_WAIT ports count as not reusable');
      return NO_TIME_WAIT_REUSE;
    }
  }

  private ephemeralUsage(): EphemeralPortUsage | null {
    const usage = this.ephemeral.summarize();
    if (usage === null || this.ephemeralOptions.remoteAddresses) return usage;
    return { ...usage, top: usage.top.map((d) => ({ ...d, remoteAddress: '' })), series: usage.series.map((d) => ({ ...d, remoteAddress: '' })) };
  }
}
