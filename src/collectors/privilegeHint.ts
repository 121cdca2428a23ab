import { hasCapability, type CapabilityName } from '../parse/capabilities.js';

/** Processes whose /proc/<pid> entry could not be read, by errno code ("EACCES", "EPERM"). */
export type UnreadableByErrno = Readonly<Record<string, number>>;

/** What a collector says once when it cannot read some processes' entries under /proc. */
export interface UnreadableProcesses {
  /** What could not be read, e.g. "the network namespace". */
  reading: string;
  /** What it costs, e.g. "their namespaces are not collected". */
  consequence: string;
  /** The capabilities the kernel checks for that read (ptrace_may_access(), directory permissions). */
  needs: readonly CapabilityName[];
  /** Processes that could not be read, and how many with each errno. */
  unreadable: number;
  errors: UnreadableByErrno;
  /** Other fields of the log line (processes scanned, the first path that failed). */
  fields?: Readonly<Record<string, unknown>>;
}

/**
 * The warning for processes the exporter could not read. `effective` is its effective capability
 * set (sources/ownCapabilities.ts), undefined where unknown. Lacking (or not knowing about) some
 * of `needs`: it says to grant those. Holding them all (full root, say): granting them again
 * would change nothing, so it says what was seen, the count and errnos, and who denies a read
 * those capabilities allow: a security module (AppArmor, SELinux), a seccomp or gVisor-like
 * sandbox, or a user namespace of the exporter's own (a rootless container's root holds every
 * capability, over its own namespace only).
 */
export function unreadableProcessesWarning(u: UnreadableProcesses, effective: bigint | undefined): { fields: Record<string, unknown>; msg: string } {
  const missing = effective === undefined ? u.needs : u.needs.filter((c) => !hasCapability(effective, c));
  const errno = Object.entries(u.errors)
    .filter(([, n]) => n > 0)
    .map(([code, n]) => `${n} ${code}`)
    .join(', ');
  const fields = { unreadable: u.unreadable, errno, ...u.fields };
  if (missing.length > 0) return { fields, msg: `cannot read ${u.reading} of some processes (needs ${missing.join(' and ')}); ${u.consequence}` };
  return {
    fields: { ...fields, capabilities: u.needs.join(' ') },
    msg: `cannot read ${u.reading} of ${u.unreadable} ${u.unreadable === 1 ? 'process' : 'processes'} (${errno}) although the exporter has ${u.needs.join(' and ')}: something else denies it (a security module such as AppArmor or SELinux, a sandbox, or a user namespace of the exporter's own); ${u.consequence}`,
  };
}
