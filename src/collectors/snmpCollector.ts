import { parseProcNetSnmp } from '../parse/procNetSnmp.js';
import { procPath, readSmallFile } from '../sources/procfsFiles.js';
import type { CollectContext, Collector } from './collector.js';

export interface CounterSpec {
  /** Field name in the kernel file. */
  field: string;
  /** Exported name without prefix. */
  metric: string;
  type: 'counter' | 'gauge';
  help: string;
  /** Multiplier to the exported unit (0.001: the kernel counts milliseconds, exported in seconds); 1 if absent. */
  scale?: number;
}

/** The Tcp fields of /proc/net/snmp (RFC 1213 tcp group). */
export const TCP_SNMP_FIELDS: readonly CounterSpec[] = [
  { field: 'ActiveOpens', metric: 'tcp_active_opens_total', type: 'counter', help: 'Connections opened by this host (SYN_SENT from CLOSED).' },
  { field: 'PassiveOpens', metric: 'tcp_passive_opens_total', type: 'counter', help: 'Connections accepted from a listener (SYN_RECV from LISTEN).' },
  { field: 'AttemptFails', metric: 'tcp_attempt_fails_total', type: 'counter', help: 'Connection attempts that failed (SYN_SENT or SYN_RECV back to CLOSED or LISTEN).' },
  { field: 'EstabResets', metric: 'tcp_established_resets_total', type: 'counter', help: 'Resets of ESTABLISHED or CLOSE_WAIT connections.' },
  { field: 'CurrEstab', metric: 'tcp_current_established', type: 'gauge', help: 'Connections in ESTABLISHED or CLOSE_WAIT, as the kernel counts them.' },
  { field: 'InSegs', metric: 'tcp_in_segments_total', type: 'counter', help: 'Segments received, including those in error.' },
  { field: 'OutSegs', metric: 'tcp_out_segments_total', type: 'counter', help: 'Segments sent, excluding retransmissions.' },
  { field: 'RetransSegs', metric: 'tcp_retransmitted_segments_total', type: 'counter', help: 'Segments retransmitted.' },
  { field: 'InErrs', metric: 'tcp_in_errors_total', type: 'counter', help: 'Segments received in error (bad checksum, bad header).' },
  { field: 'OutRsts', metric: 'tcp_out_resets_total', type: 'counter', help: 'Segments sent with the RST flag.' },
];

export type CounterValues = Readonly<Record<string, number>>;

/** Reads one protocol's fields out of an snmp-style file; a field the kernel lacks is absent. */
export async function readSnmpFields(
  procfs: string,
  file: string,
  proto: string,
  specs: readonly CounterSpec[],
): Promise<CounterValues> {
  const path = procPath(procfs, file);
  const table = parseProcNetSnmp(path, await readSmallFile(path)).get(proto);
  if (table === undefined) throw new Error(`${path}: no "${proto}:" lines`);
  const out: Record<string, number> = {};
  for (const spec of specs) {
    const v = table.get(spec.field);
    if (v !== undefined) out[spec.metric] = spec.scale === undefined ? v : v * spec.scale;
  }
  return out;
}

export class SnmpCollector implements Collector<CounterValues> {
  readonly name = 'snmp';

  collect(ctx: CollectContext): Promise<CounterValues> {
    return readSnmpFields(ctx.procfs, 'net/snmp', 'Tcp', TCP_SNMP_FIELDS);
  }
}
