import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the memory controller charged to a cgroup, in MB (1 MB = 2^20 bytes). */
export interface CgroupCharge {
  /** Charge now: anonymous memory plus page cache and kernel memory charged to the group. */
  currentMb: number;
  /** Highest charge since the group was made (v1 memory.max_usage_in_bytes, v2 memory.peak). */
  peakMb: number;
  /** Anonymous part now (v1 memory.stat total_rss, v2 memory.stat anon). */
  anonMb: number;
  /** Page cache part now (v1 total_cache, v2 file): mapped binary pages first faulted in by the group. */
  fileMb: number;
  /**
   * The charge less its inactive page cache (v1 total_inactive_file, v2 inactive_file): the
   * working set, as the kubelet and cAdvisor compute it (container_memory_working_set_bytes); what
   * a limit reclaims first is out of it.
   */
  workingSetMb: number;
  /** OOM kills in the group (v1 memory.oom_control, v2 memory.events oom_kill); 0 without a limit. */
  oomKills: number;
  /** Times the charge hit the limit and the kernel reclaimed (v1 memory.failcnt, v2 memory.events max). */
  limitHits: number;
}

const MB = 1024 * 1024;

/**
 * A memory cgroup of our own, to judge memory as a container runtime charges it (the number an
 * OOM kill and a `resources.limits.memory` go by), not by RSS: it counts page cache and kernel
 * memory, and leaves out pages of shared files that another group faulted in first. Works on
 * cgroup v1 (/sys/fs/cgroup/memory) and v2 (/sys/fs/cgroup with the memory controller). Needs root.
 */
export class MemoryCgroup {
  readonly path: string;
  private readonly v1: boolean;

  /** `limitMb`: a memory limit (v1 memory.limit_in_bytes, v2 memory.max), as a container's `resources.limits.memory`. */
  constructor(name: string, limitMb?: number) {
    this.v1 = existsSync('/sys/fs/cgroup/memory/memory.usage_in_bytes');
    const base = this.v1 ? '/sys/fs/cgroup/memory' : '/sys/fs/cgroup';
    if (!this.v1 && !readFileSync(join(base, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('memory')) {
      throw new Error('no memory cgroup controller on this host');
    }
    this.path = join(base, `${name}-${process.pid}-${Math.floor(Math.random() * 1e6)}`);
    mkdirSync(this.path);
    if (limitMb !== undefined) writeFileSync(join(this.path, this.v1 ? 'memory.limit_in_bytes' : 'memory.max'), String(Math.round(limitMb * MB)));
  }

  /**
   * A command prefix that joins this group and then execs the rest of its arguments, so the process
   * is charged from its first page: `sh -c 'echo $$ > cgroup.procs && exec "$@"' sh …`.
   */
  prefix(): string[] {
    return ['sh', '-c', `echo $$ > ${join(this.path, 'cgroup.procs')} && exec "$@"`, 'sh'];
  }

  charge(): CgroupCharge {
    const read = (file: string): number => Number(readFileSync(join(this.path, file), 'utf8').trim());
    // memory.stat, memory.oom_control and memory.events: "key value" lines.
    const keyed = (file: string): Map<string, number> =>
      new Map(
        readFileSync(join(this.path, file), 'utf8')
          .split('\n')
          .map((l) => l.split(' ') as [string, string])
          .map(([k, v]) => [k, Number(v)]),
      );
    const stat = keyed('memory.stat');
    if (this.v1) {
      const currentMb = read('memory.usage_in_bytes') / MB;
      return {
        currentMb,
        peakMb: read('memory.max_usage_in_bytes') / MB,
        anonMb: (stat.get('total_rss') ?? NaN) / MB,
        fileMb: (stat.get('total_cache') ?? NaN) / MB,
        workingSetMb: currentMb - (stat.get('total_inactive_file') ?? NaN) / MB,
        oomKills: keyed('memory.oom_control').get('oom_kill') ?? 0,
        limitHits: read('memory.failcnt'),
      };
    }
    const currentMb = read('memory.current') / MB;
    const events = keyed('memory.events');
    return {
      currentMb,
      peakMb: existsSync(join(this.path, 'memory.peak')) ? read('memory.peak') / MB : NaN,
      anonMb: (stat.get('anon') ?? NaN) / MB,
      fileMb: (stat.get('file') ?? NaN) / MB,
      workingSetMb: currentMb - (stat.get('inactive_file') ?? NaN) / MB,
      oomKills: events.get('oom_kill') ?? 0,
      limitHits: events.get('max') ?? 0,
    };
  }

  /** Removes the group; its processes must have exited (the kernel refuses otherwise). */
  destroy(): void {
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(this.path);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        // EBUSY while the last process is being reaped.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      }
    }
  }
}
