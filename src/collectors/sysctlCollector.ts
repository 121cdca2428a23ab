import { parseSysctlIntegers } from '../parse/sysctlValue.js';
import { pageSizeOnce } from '../sources/pageSize.js';
import { isNotFound, procPath, readSmallFile } from '../sources/procfsFiles.js';
import type { CollectContext, Collector } from './collector.js';

/** The sysctls that decide how long TCP sockets live, each with the name it is exported under. */
export interface SysctlSpec {
  /** Relative to the procfs root. */
  path: string;
  /** One exported name per integer in the file (ip_local_port_range holds two). */
  metrics: readonly string[];
  help: readonly string[];
  /** "pages": the file counts pages, exported in bytes (x the kernel's page size). */
  unit?: 'pages';
}

export const SYSCTLS: readonly SysctlSpec[] = [
  { path: 'sys/net/ipv4/tcp_keepalive_time', metrics: ['keepalive_time_seconds'], help: ['net.ipv4.tcp_keepalive_time: idle time before the first keepalive probe, in seconds.'] },
  { path: 'sys/net/ipv4/tcp_keepalive_intvl', metrics: ['keepalive_interval_seconds'], help: ['net.ipv4.tcp_keepalive_intvl: time between keepalive probes, in seconds.'] },
  { path: 'sys/net/ipv4/tcp_keepalive_probes', metrics: ['keepalive_probes'], help: ['net.ipv4.tcp_keepalive_probes: unanswered probes before the connection is dropped.'] },
  { path: 'sys/net/ipv4/tcp_fin_timeout', metrics: ['fin_timeout_seconds'], help: ['net.ipv4.tcp_fin_timeout: how long an orphaned socket stays in FIN_WAIT2, in seconds.'] },
  { path: 'sys/net/ipv4/tcp_tw_reuse', metrics: ['tw_reuse'], help: ['net.ipv4.tcp_tw_reuse: 0 off, 1 on, 2 loopback only; reuse of TIME_WAIT ports for outgoing connections.'] },
  { path: 'sys/net/ipv4/tcp_max_tw_buckets', metrics: ['max_tw_buckets'], help: ['net.ipv4.tcp_max_tw_buckets: TIME_WAIT sockets the kernel keeps before destroying new ones early.'] },
  { path: 'sys/net/ipv4/tcp_max_syn_backlog', metrics: ['max_syn_backlog'], help: ['net.ipv4.tcp_max_syn_backlog: half-open connections remembered per listener.'] },
  { path: 'sys/net/core/somaxconn', metrics: ['somaxconn'], help: ['net.core.somaxconn: upper limit of a listen() backlog.'] },
  { path: 'sys/net/ipv4/ip_local_port_range', metrics: ['local_port_range_min', 'local_port_range_max'], help: ['net.ipv4.ip_local_port_range: lowest ephemeral port.', 'net.ipv4.ip_local_port_range: highest ephemeral port.'] },
  { path: 'sys/net/ipv4/tcp_syncookies', metrics: ['syncookies'], help: ['net.ipv4.tcp_syncookies: 0 off, 1 when the SYN queue overflows, 2 always.'] },
  { path: 'sys/net/ipv4/tcp_retries2', metrics: ['retries2'], help: ['net.ipv4.tcp_retries2: retransmissions before an established connection is given up.'] },
  { path: 'sys/net/ipv4/tcp_max_orphans', metrics: ['max_orphans'], help: ['net.ipv4.tcp_max_orphans: sockets not attached to any process the kernel keeps.'] },
  {
    // Three numbers of pages (net/ipv4/sysctl_net_ipv4.c, sysctl_tcp_mem); compared with
    // tcpstate_sockstat_memory_bytes, which counts the same pages (tcp_memory_allocated).
    path: 'sys/net/ipv4/tcp_mem',
    metrics: ['mem_min_bytes', 'mem_pressure_bytes', 'mem_max_bytes'],
    help: [
      'net.ipv4.tcp_mem (first value) in bytes: below it TCP leaves memory pressure.',
      'net.ipv4.tcp_mem (second value) in bytes: above it TCP enters memory pressure and shrinks socket buffers (TCPMemoryPressures counts the entries).',
      'net.ipv4.tcp_mem (third value) in bytes: above it TCP refuses memory to sockets; orphans are killed (TCPAbortOnMemory).',
    ],
    unit: 'pages',
  },
  { path: 'sys/net/ipv4/tcp_timestamps', metrics: ['timestamps'], help: ['net.ipv4.tcp_timestamps: 0 off, 1 on with a random offset per connection, 2 on without; tcp_tw_reuse needs them on.'] },
];

export interface SysctlResult {
  /** Exported name (without prefix) → value; a sysctl the kernel lacks is absent. */
  values: Readonly<Record<string, number>>;
  missing: readonly string[];
}

export class SysctlCollector implements Collector<SysctlResult> {
  readonly name = 'sysctl';
  private reportedMissing = false;
  private readonly pageSize = pageSizeOnce();

  async collect(ctx: CollectContext): Promise<SysctlResult> {
    const values: Record<string, number> = {};
    const missing: string[] = [];
    for (const spec of SYSCTLS) {
      const path = procPath(ctx.procfs, spec.path);
      let text: string;
      try {
        text = await readSmallFile(path);
      } catch (err) {
        // Older kernels and some network namespaces lack a few of these; that is not a failure.
        if (isNotFound(err)) {
          missing.push(spec.path);
          continue;
        }
        throw err;
      }
      const scale = spec.unit === 'pages' ? await this.pageSize(ctx.procfs) : 1;
      parseSysctlIntegers(path, text, spec.metrics.length).forEach((v, i) => {
        values[spec.metrics[i]!] = v * scale;
      });
    }
    if (missing.length === SYSCTLS.length) throw new Error(`no TCP sysctl found under ${procPath(ctx.procfs, 'sys')}`);
    if (missing.length > 0 && !this.reportedMissing) {
      this.reportedMissing = true;
      ctx.log.debug({ missing }, 'sysctls not present on this kernel');
    }
    return { values, missing };
  }
}

/** Dead-peer detection time: idle time, then `probes` unanswered probes `interval` apart. */
export function deadPeerDetectionSeconds(values: Readonly<Record<string, number>>): number | undefined {
  const time = values['keepalive_time_seconds'];
  const interval = values['keepalive_interval_seconds'];
  const probes = values['keepalive_probes'];
  if (time === undefined || interval === undefined || probes === undefined) return undefined;
  return time + interval * probes;
}
