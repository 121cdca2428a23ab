import { readdirSync, readlinkSync } from 'node:fs';

/**
 * Processes of /proc whose descriptor links this process may not read (EACCES/EPERM on the
 * directory or on readlink of one link: ptrace_may_access() refuses per link): a test's own count,
 * made without the exporter's code. On this sandbox even root may not read pid 1's.
 */
export function processesWithRefusedLinks(): number {
  let refused = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const fds = readdirSync(`/proc/${pid}/fd`);
      if (fds.length > 0) readlinkSync(`/proc/${pid}/fd/${fds[0]}`);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'EACCES' || code === 'EPERM') refused++;
    }
  }
  return refused;
}
