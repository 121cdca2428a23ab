import { parseProcNetSockstat } from '../parse/procNetSockstat.js';
import { pageSizeOnce } from '../sources/pageSize.js';
import { isNotFound, procPath, readSmallFile } from '../sources/procfsFiles.js';
import type { CollectContext, Collector } from './collector.js';

export interface SockstatResult {
  /**
   * The "TCP:" line under the kernel's keys (net/ipv4/proc.c, sockstat_seq_show): inuse,
   * orphan, tw, alloc (sockets), mem (pages).
   */
  TCP: Readonly<Record<'inuse' | 'orphan' | 'tw' | 'alloc' | 'mem', number>>;
  /** The "TCP6:" line of /proc/net/sockstat6 (inuse); absent when IPv6 is disabled (no sockstat6). */
  TCP6?: Readonly<Record<string, number>>;
  /** The kernel's page size in bytes (auxv AT_PAGESZ), the unit of `mem`. */
  pageSizeBytes: number;
}

export class SockstatCollector implements Collector<SockstatResult> {
  /** sockstat counts memory in pages; the page size is the kernel's, read once from auxv. */
  private readonly pageSize = pageSizeOnce();

  /** Errors: sockstat unreadable or unparsable, or its "TCP:" line missing or short of a key. */
  async collect(ctx: CollectContext): Promise<SockstatResult> {
    const path = procPath(ctx.procfs, 'net/sockstat');
    const tcp = parseProcNetSockstat(path, await readSmallFile(path)).get('TCP');
    if (tcp === undefined) throw new Error(`${path}: no "TCP:" line`);
    const field = (k: string): number => {
      const v = tcp.get(k);
      if (v === undefined) throw new Error(`${path}: "TCP:" line has no "${k}"`);
      return v;
    };
    const result: SockstatResult = {
      TCP: { inuse: field('inuse'), orphan: field('orphan'), tw: field('tw'), alloc: field('alloc'), mem: field('mem') },
      pageSizeBytes: await this.pageSize(ctx.procfs),
    };
    const path6 = procPath(ctx.procfs, 'net/sockstat6');
    try {
      const tcp6 = parseProcNetSockstat(path6, await readSmallFile(path6)).get('TCP6');
      if (tcp6 !== undefined) result.TCP6 = Object.fromEntries(tcp6);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return result;
  }
}
