/**
 * The errno codes with which the kernel refuses a read under /proc/<pid> (a process's ns/net
 * link, its fd directory or fd links): EACCES where ptrace_may_access() or the directory's mode
 * refuses (fs/proc/base.c, proc_fd_access_allowed(), proc_ns_get_link()), EPERM from some
 * security modules and sandboxes.
 */
export type RefusalCode = 'EACCES' | 'EPERM';

/**
 * The code of `err` when it is such a refusal, else undefined: ENOENT (the process exited, or a
 * kernel thread has no such entry) and other errors are not a process being unreadable.
 */
export function refusalCode(err: unknown): RefusalCode | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'EACCES' || code === 'EPERM' ? code : undefined;
}

/**
 * A scan's count of processes it could not read: `unreadable` in all, and `unreadableErrors`
 * the same processes by errno code ({ EACCES: 3 }), as the scans report them and the privilege
 * hints (collectors/privilegeHint.ts) name them. Count each process once.
 */
export class UnreadableTally {
  private count = 0;
  private readonly byCode: Record<string, number> = {};

  /** One more process refused with `code`. */
  add(code: RefusalCode): void {
    this.count++;
    this.byCode[code] = (this.byCode[code] ?? 0) + 1;
  }

  get unreadable(): number {
    return this.count;
  }

  get unreadableErrors(): Readonly<Record<string, number>> {
    return this.byCode;
  }
}
