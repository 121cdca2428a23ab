import { parseProcNetSockstat } from '../parse/procNetSockstat.js';
import { pageSizeOnce } from '../sources/pageSize.js';
import { isNotFound, procPath, readSmallFile } from '../sources/procfsFiles.js';
import type { CollectContext, Collector } from './collector.js';

export interface SockstatResult {
  ipv4: { inuse: number; orphan: number; timeWait: number; alloc: number; memoryBytes: number };
  /** Absent when IPv6 is disabled (no sockstat6). */
  ipv6?: { inuse: number };
}

export class SockstatCollector implements Collector<SockstatResult> {
  readonly name = 'sockstat';
  /** sockstat counts memory in pages; the page size is the kernel's, read once from auxv. */
  private readonly pageSize = pageSizeOnce();

  async collect(ctx: CollectContext): Promise<SockstatResult> {
    const path = procPath(ctx.procfs, 'net/sockstat');
    const tcp = parseProcNetSockstat(path, await readSmallFile(path)).get('TCP');
    if (tcp === undefined) throw new Error(`${path}: no "TCP:" line`);
    const field = (k: string): number => {
      const v = tcp.get(k);
      if (v === undefined) throw new Error(`${path}: "TCP:" line has no "${k}"`);
      return v;
    };
    const pageSize = await this.pageSize(ctx.procfs);
    const result: SockstatResult = {
      ipv4: { inuse: field('inuse'), orphan: field('orphan'), timeWait: field('tw'), alloc: field('alloc'), memoryBytes: field('mem') * pageSize },
    };
    const path6 = procPath(ctx.procfs, 'net/sockstat6');
    try {
      const tcp6 = parseProcNetSockstat(path6, await readSmallFile(path6)).get('TCP6');
      if (tcp6?.get('inuse') !== undefined) result.ipv6 = { inuse: tcp6.get('inuse')! };
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return result;
  }
}
