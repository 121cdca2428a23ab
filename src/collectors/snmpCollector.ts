import { parseProcNetSnmp } from '../parse/procNetSnmp.js';
import { procPath, readSmallFile } from '../sources/procfsFiles.js';
import type { CollectContext, Collector } from './collector.js';

/**
 * One protocol's counters from /proc/net/snmp or /proc/net/netstat, under the kernel's own field
 * names (`ActiveOpens`, `ListenOverflows`), in the kernel's units, every field the kernel has
 * (as prometheus/procfs's ProcSnmp and ProcNetstat do). Which fields are served, and under which
 * names, is the metrics layer's choice (metrics/kernelMetrics.ts).
 */
export type CounterValues = Readonly<Record<string, number>>;

/**
 * Reads `<procfs>/<file>` (snmp layout: see parseProcNetSnmp) and returns the fields of `proto`.
 * Errors: the file's read error (not-found included), a ParseError naming the offending line, or
 * an Error when the file has no `<proto>:` lines.
 */
export async function readSnmpProtocol(procfs: string, file: string, proto: string): Promise<CounterValues> {
  const path = procPath(procfs, file);
  const table = parseProcNetSnmp(path, await readSmallFile(path)).get(proto);
  if (table === undefined) throw new Error(`${path}: no "${proto}:" lines`);
  return Object.fromEntries(table);
}

/** The Tcp group of /proc/net/snmp (RFC 1213 tcp group; net/ipv4/proc.c, snmp4_tcp_list). */
export class SnmpCollector implements Collector<CounterValues> {

  collect(ctx: CollectContext): Promise<CounterValues> {
    return readSnmpProtocol(ctx.procfs, 'net/snmp', 'Tcp');
  }
}
