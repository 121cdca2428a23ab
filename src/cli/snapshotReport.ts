import type { PortStates } from '../aggregate/socketSummary.js';
import { deadPeerDetectionSeconds } from '../collectors/sysctlCollector.js';
import { TCP_STATES, type StateCounts } from '../model/tcpState.js';
import type { Snapshot } from '../snapshot/snapshot.js';

const SHORT: Readonly<Record<string, string>> = {
  established: 'ESTAB', syn_sent: 'SYN-S', syn_recv: 'SYN-R', fin_wait1: 'FIN-W1', fin_wait2: 'FIN-W2',
  time_wait: 'TIME-W', close: 'CLOSE', close_wait: 'CLOSE-W', last_ack: 'LAST-A', listen: 'LISTEN', closing: 'CLOSING',
};

const sum = (c: StateCounts): number => c.reduce((a, b) => a + b, 0);

function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

function portTable(ports: readonly PortStates[]): string {
  const rows = ports.filter((p) => sum(p.states) > 0).map((p) => [p.port, sum(p.states), ...p.states]);
  return rows.length === 0 ? '  (none)' : table(['PORT', 'TOTAL', ...TCP_STATES.map((s) => SHORT[s]!)], rows);
}

/** The aggregation as a person at a shell wants it: like a per-port `ss -s`. */
export function renderSnapshotTable(s: Snapshot): string {
  const out: string[] = [`tcpstate snapshot at ${new Date(s.takenAtMs).toISOString()} (collected in ${(s.durationSeconds * 1000).toFixed(1)} ms)`];
  const sockets = s.data.sockets;
  if (sockets) {
    const { summary } = sockets;
    out.push(`source: ${sockets.source}`, '', 'SOCKETS BY STATE');
    out.push(
      table(
        ['STATE', 'IPV4', 'IPV6', 'TOTAL'],
        TCP_STATES.map((st, i) => [st, summary.byFamily.ipv4[i]!, summary.byFamily.ipv6[i]!, summary.byFamily.ipv4[i]! + summary.byFamily.ipv6[i]!]),
      ),
    );
    out.push('', 'SERVER PORTS (local listening port)', portTable(summary.serverPorts));
    out.push('', 'CLIENT PORTS (remote port of outgoing connections)', portTable(summary.clientPorts));
    const queues = summary.listenQueues.filter((q) => q.listeners > 0);
    out.push('', 'LISTEN QUEUES');
    out.push(
      queues.length === 0
        ? '  (none)'
        : table(
            ['PORT', 'LISTENERS', 'QUEUED', 'BACKLOG', 'MAX-FILL'],
            queues.map((q) => [q.port, q.listeners, q.acceptQueue, q.backlog ?? 'n/a', q.maxFillRatio === null ? 'n/a' : `${(q.maxFillRatio * 100).toFixed(0)}%`]),
          ),
    );
    const k = summary.keepalive;
    out.push('', `KEEPALIVE on ESTABLISHED: armed ${k.armed}, not armed ${k.notArmed}, unknown ${k.unknown}`);
  }
  const sysctl = s.data.sysctl;
  if (sysctl) {
    const v = sysctl.values;
    out.push(
      `keepalive sysctls: time ${v['keepalive_time_seconds'] ?? '?'}s, interval ${v['keepalive_interval_seconds'] ?? '?'}s, probes ${v['keepalive_probes'] ?? '?'}` +
        ` -> dead peer noticed after ${deadPeerDetectionSeconds(v) ?? '?'}s`,
      `fin_timeout ${v['fin_timeout_seconds'] ?? '?'}s, tw_reuse ${v['tw_reuse'] ?? '?'}, max_tw_buckets ${v['max_tw_buckets'] ?? '?'}, somaxconn ${v['somaxconn'] ?? '?'}, max_syn_backlog ${v['max_syn_backlog'] ?? '?'}, local ports ${v['local_port_range_min'] ?? '?'}-${v['local_port_range_max'] ?? '?'}`,
    );
  }
  const failed = Object.entries(s.status).filter(([, st]) => !st.success);
  if (failed.length > 0) {
    out.push('', 'FAILED COLLECTORS');
    for (const [name, st] of failed) out.push(`  ${name}: ${st.error ?? 'unknown error'}`);
  }
  return `${out.join('\n')}\n`;
}

/** JSON with per-state arrays turned into {state: count} objects, so it reads without the index table. */
export function renderSnapshotJson(s: Snapshot): string {
  return `${JSON.stringify(s, (_key, value: unknown) => (isStateVector(value) ? Object.fromEntries(TCP_STATES.map((st, i) => [st, value[i]])) : value), 2)}\n`;
}

function isStateVector(v: unknown): v is number[] {
  return Array.isArray(v) && v.length === TCP_STATES.length && v.every((x) => typeof x === 'number');
}
