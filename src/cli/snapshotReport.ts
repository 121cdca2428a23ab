import type { PortStates } from '../aggregate/socketSummary.js';
import { RTT_BUCKETS_US } from '../aggregate/tcpInfoAggregator.js';
import type { ProcessesResult } from '../collectors/processesCollector.js';
import { deadPeerDetectionSeconds } from '../collectors/sysctlCollector.js';
import { STATE_CODE, STATE_CODES, STATE_SLOTS, stateName, statesByName, type StateCounts } from '../model/tcpState.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { closedConnectionsSection, namespaceConnectionsSection, tcpInfoSection } from './connectionsReport.js';
import type { PortChange } from './portChanges.js';
import { fit, renderTable, wrap, type Cell } from './textTable.js';

/** Columns of the default view: what an 80-to-100-column terminal shows without wrapping. */
export const DEFAULT_WIDTH = 100;

const SHORT: Readonly<Record<string, string>> = {
  established: 'ESTAB', syn_sent: 'SYN-S', syn_recv: 'SYN-R', fin_wait1: 'FIN-W1', fin_wait2: 'FIN-W2',
  time_wait: 'TIME-W', close: 'CLOSE', close_wait: 'CLOSE-W', last_ack: 'LAST-A', listen: 'LISTEN', closing: 'CLOSING',
};

/** Changes shown under a watch frame, largest first; the rest are counted. */
const MAX_CHANGE_LINES = 12;

export interface ReportOptions {
  /** Every state column, and no line limit (--wide). */
  wide?: boolean;
  /** Per-port changes since the previous frame (watch mode): a CHANGE column and a CHANGES section. */
  changes?: readonly PortChange[];
}

const sum = (c: StateCounts): number => c.reduce((a, b) => a + b, 0);
const signed = (n: number): string => (n > 0 ? `+${n}` : n < 0 ? String(n) : '');

/**
 * One role's ports: PORT, TOTAL (and CHANGE in watch mode), then a column per state. The default
 * view leaves out states no port of the table has, which is what keeps it within 100 columns.
 */
function portTable(role: 'server' | 'client', ports: readonly PortStates[], opts: ReportOptions, width: number): string {
  const shown = ports.filter((p) => sum(p.states) > 0);
  const changed = new Map((opts.changes ?? []).filter((c) => c.role === role).map((c) => [c.port, c.total]));
  if (shown.length === 0) return '  (none)';
  const states = STATE_CODES.filter((code) => opts.wide || shown.some((p) => p.states[code]! > 0));
  const header = ['PORT', 'TOTAL', ...(opts.changes ? ['CHANGE'] : []), ...states.map((code) => SHORT[stateName(code)]!)];
  const rows = shown.map((p): Cell[] => [p.port, sum(p.states), ...(opts.changes ? [signed(changed.get(p.port) ?? 0)] : []), ...states.map((code) => p.states[code]!)]);
  return renderTable(header, rows, width);
}

/** Top processes per state, CLOSE_WAIT first (the 3 a.m. question), then the others in kernel order. */
function ownersSection(p: ProcessesResult, width: number): string[] {
  const order = [STATE_CODE.close_wait, ...STATE_CODES.filter((code) => code !== STATE_CODE.close_wait)];
  const rows: Cell[][] = [];
  for (const code of order) {
    for (const t of p.top.filter((x) => x.state === stateName(code))) rows.push([t.state, t.sockets, t.pid ? `${t.process} (pid ${t.pid})` : t.process]);
  }
  const out = ['', fit(`PROCESSES (top per state, scanned ${new Date(p.scannedAtSeconds * 1000).toISOString()})`, width)];
  out.push(rows.length === 0 ? '  (none)' : renderTable(['STATE', 'SOCKETS', 'PROCESS'], rows, width, 1, [2]));
  const unattributed = STATE_CODES.map((code) => [stateName(code), p.unattributed[code]!] as const).filter(([, n]) => n > 0);
  if (unattributed.length > 0 || p.processesUnreadable > 0) {
    out.push(fit(`not attributed: ${unattributed.map(([s, n]) => `${s} ${n}`).join(', ') || 'none'}; processes not readable: ${p.processesUnreadable}`, width));
  }
  return out;
}

function changesSection(changes: readonly PortChange[], width: number): string[] {
  const out = ['', 'CHANGES SINCE LAST DRAW'];
  if (changes.length === 0) return [...out, '  (none)'];
  for (const c of changes.slice(0, MAX_CHANGE_LINES)) {
    const states = STATE_CODES.map((code) => (c.states[code] === 0 ? '' : `${SHORT[stateName(code)]} ${signed(c.states[code]!)}`)).filter(Boolean);
    out.push(fit(`  ${c.role} ${c.port}: ${states.join(', ')}`, width));
  }
  if (changes.length > MAX_CHANGE_LINES) out.push(`  … and ${changes.length - MAX_CHANGE_LINES} more ports`);
  return out;
}

/**
 * The aggregation as a person at a shell wants it: like a per-port `ss -s`, the owners of the
 * sockets when the processes collector ran, within 100 columns unless `wide`.
 */
export function renderSnapshotTable(s: Snapshot, opts: ReportOptions = {}): string {
  const width = opts.wide ? Infinity : DEFAULT_WIDTH;
  const out: string[] = [fit(`tcpstate snapshot at ${new Date(s.takenAtMs).toISOString()} (collected in ${(s.durationSeconds * 1000).toFixed(1)} ms)`, width)];
  const sockets = s.data.sockets;
  if (sockets) {
    const { summary } = sockets;
    out.push(`source: ${sockets.source}`, '', 'SOCKETS BY STATE');
    out.push(
      renderTable(
        ['STATE', 'IPV4', 'IPV6', 'TOTAL'],
        STATE_CODES.map((code) => [stateName(code), summary.byFamily.ipv4[code]!, summary.byFamily.ipv6[code]!, summary.byFamily.ipv4[code]! + summary.byFamily.ipv6[code]!]),
        width,
      ),
    );
    out.push('', 'SERVER PORTS (local listening port)', portTable('server', summary.serverPorts, opts, width));
    out.push('', 'CLIENT PORTS (remote port of outgoing connections)', portTable('client', summary.clientPorts, opts, width));
    if (opts.changes) out.push(...changesSection(opts.changes, width));
    const queues = summary.listenQueues.filter((q) => q.listeners > 0);
    out.push('', 'LISTEN QUEUES');
    out.push(
      queues.length === 0
        ? '  (none)'
        : renderTable(
            ['PORT', 'LISTENERS', 'QUEUED', 'BACKLOG', 'MAX-FILL'],
            queues.map((q) => [q.port, q.listeners, q.acceptQueue, q.backlog ?? 'n/a', q.maxFillRatio === null ? 'n/a' : `${(q.maxFillRatio * 100).toFixed(0)}%`]),
            width,
          ),
    );
    const k = summary.keepalive;
    out.push('', `KEEPALIVE on ESTABLISHED: armed ${k.armed}, not armed ${k.notArmed}, unknown ${k.unknown}`);
  }
  const sysctl = s.data.sysctl;
  if (sysctl) {
    const v = sysctl.values;
    out.push(
      fit(`keepalive sysctls: time ${v['tcp_keepalive_time']?.[0] ?? '?'}s, interval ${v['tcp_keepalive_intvl']?.[0] ?? '?'}s, probes ${v['tcp_keepalive_probes']?.[0] ?? '?'} -> dead peer noticed after ${deadPeerDetectionSeconds(v) ?? '?'}s`, width),
      fit(`fin_timeout ${v['tcp_fin_timeout']?.[0] ?? '?'}s, tw_reuse ${v['tcp_tw_reuse']?.[0] ?? '?'}, max_tw_buckets ${v['tcp_max_tw_buckets']?.[0] ?? '?'}, local ports ${v['ip_local_port_range']?.[0] ?? '?'}-${v['ip_local_port_range']?.[1] ?? '?'}`, width),
      fit(`somaxconn ${v['somaxconn']?.[0] ?? '?'}, max_syn_backlog ${v['tcp_max_syn_backlog']?.[0] ?? '?'}`, width),
    );
  }
  const processes = s.data.processes;
  if (processes) out.push(...ownersSection(processes, width));
  const table = (header: readonly string[], rows: readonly (readonly Cell[])[]): string => renderTable(header, rows, width);
  if (s.data.tcpinfo) out.push('', ...tcpInfoSection(s.data.tcpinfo, table));
  if (s.data.connections) out.push('', ...closedConnectionsSection(s.data.connections, table));
  if (s.data.netns?.connectionEvents) out.push('', ...namespaceConnectionsSection(s.data.netns, table));
  const failed = Object.entries(s.status).filter(([, st]) => !st.success);
  if (failed.length > 0) {
    out.push('', 'FAILED COLLECTORS');
    // The error is the one part that may be long (paths, reads under way): wrapped, not cut.
    for (const [name, st] of failed) out.push(...wrap(`  ${name}: ${st.error ?? 'unknown error'}`, width, '    '));
  }
  return `${out.join('\n')}\n`;
}

const RTT_LE = [...RTT_BUCKETS_US.map((us) => String(us / 1e6)), '+Inf'];

/**
 * JSON with per-state arrays turned into {state: count} objects and RTT buckets into [{le, count}]
 * (cumulative, bounds in seconds), so it reads without the state codes or the bucket table.
 */
export function renderSnapshotJson(s: Snapshot): string {
  return `${JSON.stringify(
    s,
    (key, value: unknown) => {
      // The sockets result carries the walk's tcp_info for the tcpinfo collector, which shows it.
      if (key === 'tcpInfo') return undefined;
      // Pairs, not an object: keys such as "1" and "10" would be moved ahead of "0.0001".
      if (key === 'rttBuckets' && Array.isArray(value)) return RTT_LE.map((le, i): { le: string; count: unknown } => ({ le, count: value[i] }));
      return isStateVector(value) ? statesByName(value) : value;
    },
    2,
  )}\n`;
}

function isStateVector(v: unknown): v is number[] {
  return Array.isArray(v) && v.length === STATE_SLOTS && v.every((x) => typeof x === 'number');
}
