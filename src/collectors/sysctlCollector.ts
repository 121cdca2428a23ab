import { Once } from '../model/once.js';
import { parseSysctlIntegers } from '../parse/sysctlValue.js';
import { pageSizeOnce } from '../sources/pageSize.js';
import { isNotFound, procPath, readSmallFile } from '../sources/procfsFiles.js';
import type { CollectContext, Collector } from './collector.js';

/**
 * The sysctls that decide how long TCP sockets live, as files under `<procfs>/sys/`, with how
 * many integers each holds (ip_local_port_range two, tcp_mem three; every other one).
 */
const SYSCTL_FILES = [
  { path: 'sys/net/ipv4/tcp_keepalive_time', count: 1 },
  { path: 'sys/net/ipv4/tcp_keepalive_intvl', count: 1 },
  { path: 'sys/net/ipv4/tcp_keepalive_probes', count: 1 },
  { path: 'sys/net/ipv4/tcp_fin_timeout', count: 1 },
  { path: 'sys/net/ipv4/tcp_tw_reuse', count: 1 },
  { path: 'sys/net/ipv4/tcp_max_tw_buckets', count: 1 },
  { path: 'sys/net/ipv4/tcp_max_syn_backlog', count: 1 },
  { path: 'sys/net/core/somaxconn', count: 1 },
  { path: 'sys/net/ipv4/ip_local_port_range', count: 2 },
  { path: 'sys/net/ipv4/tcp_syncookies', count: 1 },
  { path: 'sys/net/ipv4/tcp_retries2', count: 1 },
  { path: 'sys/net/ipv4/tcp_max_orphans', count: 1 },
  // Pages (net/ipv4/sysctl_net_ipv4.c, sysctl_tcp_mem): min, pressure, max.
  { path: 'sys/net/ipv4/tcp_mem', count: 3 },
  { path: 'sys/net/ipv4/tcp_timestamps', count: 1 },
] as const;

type SysctlPath = (typeof SYSCTL_FILES)[number]['path'];
/** A sysctl's file name (`tcp_keepalive_time`, `somaxconn`): a typo in a reader is a type error. */
export type SysctlName = SysctlPath extends `sys/net/${string}/${infer Name}` ? Name : never;

export interface SysctlResult {
  /**
   * Sysctl file name (`tcp_keepalive_time`, `somaxconn`, `tcp_mem`) → its integers in the
   * kernel's units (seconds, counts; tcp_mem in pages); a sysctl the kernel lacks is absent.
   */
  values: Readonly<Partial<Record<SysctlName, readonly number[]>>>;
  /** Paths (relative to the procfs root) of the sysctls this kernel or namespace lacks. */
  missing: readonly string[];
  /** The kernel's page size in bytes (auxv AT_PAGESZ), the unit of tcp_mem. */
  pageSizeBytes: number;
}

function sysctlName(path: SysctlPath): SysctlName {
  return path.slice(path.lastIndexOf('/') + 1) as SysctlName;
}

export class SysctlCollector implements Collector<SysctlResult> {
  private readonly reported = new Once();
  private readonly pageSize = pageSizeOnce();

  /** Errors: a sysctl that cannot be read (other than not found) or parsed; every one missing. */
  async collect(ctx: CollectContext): Promise<SysctlResult> {
    const values: Partial<Record<SysctlName, readonly number[]>> = {};
    const missing: string[] = [];
    // All at once: each read is four pool round trips (open, read, read to EOF, close), and a
    // round trip completes only when the event loop takes a turn, which a sockets walk in
    // progress gives every few milliseconds (src/sources/netlink/dump.ts). One after the other,
    // 15 files took 130 ms during a 86k-socket walk; together, a few turns.
    const paths = SYSCTL_FILES.map((file) => procPath(ctx.procfs, file.path));
    const texts = await Promise.all(
      paths.map(async (path) => {
        try {
          return await readSmallFile(path);
        } catch (err) {
          // Older kernels and some network namespaces lack a few of these; that is not a failure.
          if (isNotFound(err)) return null;
          throw err;
        }
      }),
    );
    SYSCTL_FILES.forEach((file, i) => {
      const text = texts[i];
      if (text === null || text === undefined) missing.push(file.path);
      else values[sysctlName(file.path)] = parseSysctlIntegers(paths[i]!, text, file.count);
    });
    if (missing.length === SYSCTL_FILES.length) throw new Error(`no TCP sysctl found under ${procPath(ctx.procfs, 'sys')}`);
    if (missing.length > 0 && this.reported.first()) {
      ctx.log.debug({ missing }, 'sysctls not present on this kernel');
    }
    return { values, missing, pageSizeBytes: await this.pageSize(ctx.procfs) };
  }
}

/**
 * Dead-peer detection time in seconds: tcp_keepalive_time of idle, then tcp_keepalive_probes
 * unanswered probes tcp_keepalive_intvl apart; undefined when one of them is missing.
 */
export function deadPeerDetectionSeconds(values: SysctlResult['values']): number | undefined {
  const time = values['tcp_keepalive_time']?.[0];
  const interval = values['tcp_keepalive_intvl']?.[0];
  const probes = values['tcp_keepalive_probes']?.[0];
  if (time === undefined || interval === undefined || probes === undefined) return undefined;
  return time + interval * probes;
}
