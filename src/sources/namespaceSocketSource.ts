import type { Log } from '../model/log.js';
import type { SocketSink } from '../model/socketRecord.js';
import { NetlinkError, openSockDiagIn } from './netlink/libcNetlink.js';
import { NetlinkSocketSource } from './netlinkSocketSource.js';
import { procPath } from './procfsFiles.js';
import { ProcfsSocketSource } from './procfsSocketSource.js';
import type { SocketSource, SocketSourceName, WalkReport } from './socketSource.js';

const EPERM = 1;
/** setns() on a file that is not a network namespace. */
const EINVAL = 22;

/** The namespace file cannot be entered: its process exited, or a fixture tree's link is only text. */
function isUnopenableNamespace(err: unknown): boolean {
  if (err instanceof NetlinkError) return err.call === 'setns' && err.errno === EINVAL;
  const code = (err as { code?: string }).code;
  return code === 'ENOENT' || code === 'EACCES' || code === 'EPERM';
}

/**
 * Socket sources for other network namespaces, one per namespace, sharing what they learn: over
 * netlink through a socket opened inside the namespace (the same dumps as for our own; needs
 * CAP_SYS_ADMIN), else from /proc/<pid>/net/tcp{,6}, which shows each process its own
 * namespace's table. The first refused setns() (EPERM) switches every later walk to procfs, and
 * is logged once (warn).
 */
export class NamespaceSocketSources {
  private netlinkAllowed = true;

  /** The table of the namespace process `pid` under `procfs` is in; `log` hears of a refused setns(). */
  of(procfs: string, pid: number, log: Log): SocketSource {
    return new NamespaceSocketSource(this, procfs, pid, log);
  }

  /** Whether `err` is setns() refused (EPERM); the first one turns netlink off for good. */
  netlinkRefused(err: unknown, log: Log): boolean {
    if (!(err instanceof NetlinkError && err.call === 'setns' && err.errno === EPERM)) return false;
    if (this.netlinkAllowed) {
      this.netlinkAllowed = false;
      log.warn({ err: err.message }, 'cannot enter other network namespaces (needs CAP_SYS_ADMIN); reading their /proc/<pid>/net/tcp{,6} instead');
    }
    return true;
  }

  get netlink(): boolean {
    return this.netlinkAllowed;
  }
}

class NamespaceSocketSource implements SocketSource {
  readonly reportsKernelDetail = true;

  constructor(
    private readonly shared: NamespaceSocketSources,
    private readonly procfs: string,
    private readonly pid: number,
    private readonly log: Log,
  ) {}

  /** The source tried first. */
  get name(): SocketSourceName {
    return this.shared.netlink ? 'netlink' : 'procfs';
  }

  async walk(sink: SocketSink): Promise<WalkReport> {
    if (this.shared.netlink) {
      const nsPath = procPath(this.procfs, `${this.pid}/ns/net`);
      try {
        // Only errors of entering the namespace are recovered from: they come before anything is fed.
        return await new NetlinkSocketSource(() => openSockDiagIn(nsPath)).walk(sink);
      } catch (err) {
        if (!this.shared.netlinkRefused(err, this.log) && !isUnopenableNamespace(err)) throw err;
      }
    }
    return new ProcfsSocketSource(procPath(this.procfs, String(this.pid))).walk(sink);
  }
}
