import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { zeroStates } from '../model/tcpState.js';
import type { InodeStates } from '../aggregate/inodeStates.js';
import { CMDLINE_READ_BYTES, isRuntimeThreadName, parseProcessName } from '../parse/processName.js';
import { isProcfs, procPath, readSmallFile } from './procfsFiles.js';
import { refusalCode, UnreadableTally, type RefusalCode } from './unreadableProcesses.js';

/** Sockets held by a group of processes (one name, or one process with --collector.processes.pid), per state. */
export interface ProcessGroupSockets {
  /** /proc/<pid>/comm, the kernel's 15-byte process name; argv[0]'s base name where comm is a runtime's thread name (parse/processName.ts). */
  name: string;
  /** The pid when grouping by pid, else empty. */
  pid: string;
  /** Sockets per state code (StateCounts). */
  states: number[];
}

export interface ProcessScan {
  groups: ProcessGroupSockets[];
  /** Processes whose descriptor table was read. */
  scanned: number;
  /**
   * Processes whose descriptor table could not be read (EACCES/EPERM: another user's, and no
   * CAP_SYS_PTRACE), or whose links could not be (root without CAP_SYS_PTRACE).
   */
  unreadable: number;
  /** The same processes by errno code (EACCES, EPERM). */
  unreadableErrors: Record<string, number>;
  firstUnreadableError: string | undefined;
  /** Per socket of the walk, 1 once some process was found holding it. */
  attributed: Uint8Array;
}

/** readlink() calls between event-loop turns: a few milliseconds each. */
const LINKS_PER_TURN = 2000;
const SOCKET_LINK = 'socket:[';

/**
 * Finds the owners of the walked sockets: every /proc/<pid>/fd/<n> linking to "socket:[<inode>]"
 * names a process holding that socket. Processes are grouped first (by name, or by pid), and a
 * socket counts once per group even when several of its processes hold it (inherited across
 * fork(), as by a pre-forking server's workers). One readdir per process and one readlink per
 * descriptor, synchronously, yielding to the event loop every few thousand links. Process names
 * are read synchronously too on procfs; under any other root (a fixture tree, where a file may be a
 * FIFO) through the pool, so a name that never comes holds a pool thread, not the event loop.
 */
export async function scanProcessSockets(procfs: string, sockets: InodeStates, byPid: boolean): Promise<ProcessScan> {
  const attributed = new Uint8Array(sockets.size);
  /** Per socket, the last group that counted it. */
  const countedBy = new Uint32Array(sockets.size);
  const groups = new Map<string, { pids: string[]; name: string; pid: string }>();
  const onProcfs = await isProcfs(procfs);
  for (const pid of readdirSync(procfs).filter((d) => /^\d+$/.test(d))) {
    const name = onProcfs ? readName(procfs, pid) : await readNameOnPool(procfs, pid);
    const key = byPid ? pid : name;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { pids: [], name, pid: byPid ? pid : '' }));
    g.pids.push(pid);
  }
  const out: ProcessGroupSockets[] = [];
  let scanned = 0;
  const tally = new UnreadableTally();
  let firstUnreadableError: string | undefined;
  let links = 0;
  let generation = 0;
  const refused = (code: RefusalCode, path: string): void => {
    tally.add(code);
    firstUnreadableError ??= `${path}: ${code}`;
  };
  for (const g of groups.values()) {
    generation++;
    let states: number[] | undefined;
    for (const pid of g.pids) {
      const fdDir = procPath(procfs, `${pid}/fd`);
      let fds: string[];
      try {
        fds = readdirSync(fdDir);
      } catch (err) {
        const code = refusalCode(err);
        if (code !== undefined) refused(code, fdDir);
        continue; // ENOENT: the process exited during the scan
      }
      let linkRefused: RefusalCode | undefined;
      for (const fd of fds) {
        if (++links % LINKS_PER_TURN === 0) await yieldToEventLoop();
        let target: string;
        try {
          target = readlinkSync(`${fdDir}/${fd}`);
        } catch (err) {
          // The directory is checked by its mode, each link by ptrace_may_access()
          // (proc_fd_access_allowed(), fs/proc/base.c): root without CAP_SYS_PTRACE (Docker's
          // default capabilities) lists another process's descriptors but reads none of them.
          const code = refusalCode(err);
          if (code !== undefined) {
            linkRefused = code;
            break;
          }
          continue; // closed since the readdir, or the process is gone
        }
        if (!target.startsWith(SOCKET_LINK)) continue;
        const index = sockets.indexOf(Number(target.slice(SOCKET_LINK.length, -1)));
        if (index < 0) continue; // a UDP, UNIX or other-namespace socket
        attributed[index] = 1;
        if (countedBy[index] === generation) continue;
        countedBy[index] = generation;
        states ??= zeroStates();
        states[sockets.stateAt(index)]!++;
      }
      if (linkRefused === undefined) scanned++;
      else refused(linkRefused, `${fdDir}/<n>`);
    }
    if (states) out.push({ name: g.name, pid: g.pid, states });
  }
  return { groups: out, scanned, unreadable: tally.unreadable, unreadableErrors: tally.unreadableErrors, firstUnreadableError, attributed };
}

/** The process's reported name (parse/processName.ts); '' if it exited during the scan. */
function readName(procfs: string, pid: string): string {
  let comm: string;
  try {
    comm = readFileSync(procPath(procfs, `${pid}/comm`), 'utf8');
  } catch {
    return '';
  }
  return parseProcessName(comm, isRuntimeThreadName(comm.trimEnd()) ? readCmdlineStart(procfs, pid) : undefined);
}

/** The first CMDLINE_READ_BYTES of /proc/<pid>/cmdline (argv[0] and more), or undefined if unreadable. */
function readCmdlineStart(procfs: string, pid: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(procPath(procfs, `${pid}/cmdline`), 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.allocUnsafe(CMDLINE_READ_BYTES);
    let filled = 0;
    while (filled < buf.length) {
      const n = readSync(fd, buf, filled, buf.length - filled, null);
      if (n === 0) break;
      filled += n;
    }
    return buf.subarray(0, filled);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

async function readNameOnPool(procfs: string, pid: string): Promise<string> {
  let comm: string;
  try {
    comm = await readSmallFile(procPath(procfs, `${pid}/comm`));
  } catch {
    return '';
  }
  if (!isRuntimeThreadName(comm.trimEnd())) return parseProcessName(comm, undefined);
  const cmdline = await readSmallFile(procPath(procfs, `${pid}/cmdline`)).catch(() => undefined);
  return parseProcessName(comm, cmdline === undefined ? undefined : Buffer.from(cmdline, 'latin1').subarray(0, CMDLINE_READ_BYTES));
}
