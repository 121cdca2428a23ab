import { loadLibc } from '../native/libc.js';
import { pendingReads, type PendingReads } from '../sources/pendingReads.js';
import { killDescendants } from './childProcesses.js';

/**
 * Ends the process with `code`, even while a file read hangs.
 *
 * process.exit() runs the C library's exit handlers, and libuv's joins its pool threads there
 * (uv_library_shutdown): a thread blocked in a read that never returns (a FIFO nobody writes, a
 * dead NFS server) would keep the process alive forever, as a SIGTERM'd exporter did for 16
 * minutes. With reads under way, the process ends through _exit(2) instead, which joins nothing;
 * what it skips (flushing stdio buffers) does not apply, since stdout and stderr are written
 * synchronously on Linux. Where libc cannot be bound (src/native/libc.ts), SIGKILL is the last way out.
 * Processes a library started and abandoned (systeminformation's netstat) are killed first, so
 * none outlives the exporter.
 */
export async function exitProcess(code: number, reads: PendingReads = pendingReads): Promise<never> {
  killDescendants();
  if (reads.size > 0) {
    try {
      (await loadLibc())._exit(code);
    } catch {
      // fall through to SIGKILL
    }
    process.kill(process.pid, 'SIGKILL');
  }
  process.exit(code);
}
