/**
 * The name a process is reported by (the `process` label of the processes collector).
 *
 * `/proc/<pid>/comm` is the kernel's name of the process's main thread: at execve() the base name
 * of the executed file, cut to TASK_COMM_LEN - 1 = 15 bytes, and whatever the process sets later
 * with prctl(PR_SET_NAME) (Node.js's `process.title` does). Since the main thread's name is the
 * process's, a runtime that names its threads can rename the whole process: Node.js >= 24 names
 * its main thread "MainThread", so every Node.js service that does not set a title shows as
 * "MainThread", which says nothing about what it is.
 *
 * For such a process the name is the one comm had before the runtime renamed it: the base name of
 * argv[0] (`/proc/<pid>/cmdline` up to its first NUL: the file the shell, `env` or the container
 * runtime executed), cut to 15 bytes as the kernel cuts comm, so the label keeps its value across
 * a Node.js upgrade ("node" for `node server.js`, the binary's name for a single-executable
 * application). cmdline is readable wherever comm is (no ptrace check, unlike /proc/<pid>/exe).
 * Every other comm is kept as it is: it is what `ps`, `top` and `ss -p` show.
 */

/** Main-thread names that runtimes set, which name the runtime's thread, not the process. */
const RUNTIME_MAIN_THREAD_NAMES: ReadonlySet<string> = new Set(['MainThread']);
/** TASK_COMM_LEN (16, include/linux/sched.h) less its terminating NUL. */
export const COMM_BYTES = 15;
/** Enough of /proc/<pid>/cmdline for argv[0]: a path is at most PATH_MAX (4096) bytes. */
export const CMDLINE_READ_BYTES = 4096;

/** Whether a comm value is a runtime's main-thread name, so that argv[0] is needed (parseProcessName). */
export function isRuntimeThreadName(comm: string): boolean {
  return RUNTIME_MAIN_THREAD_NAMES.has(comm);
}

/**
 * The reported name from the contents of /proc/<pid>/comm (with or without its newline) and,
 * when comm is a runtime's main-thread name, the start of /proc/<pid>/cmdline (NUL-separated
 * argv; empty for kernel threads and zombies, undefined when unreadable). Falls back to comm
 * when argv[0] gives no name.
 */
export function parseProcessName(comm: string, cmdline: Buffer | undefined): string {
  const name = comm.endsWith('\n') ? comm.slice(0, -1) : comm;
  if (!isRuntimeThreadName(name) || cmdline === undefined) return name;
  const end = cmdline.indexOf(0);
  const argv0 = cmdline.subarray(0, end < 0 ? cmdline.length : end);
  const base = argv0.subarray(argv0.lastIndexOf(0x2f) + 1); // after the last '/'
  if (base.length === 0) return name;
  return base.subarray(0, COMM_BYTES).toString('utf8');
}
