import { InodeStates } from '../aggregate/inodeStates.js';
import { Once } from '../model/once.js';
import { STATE_CODES, stateName, zeroStates, type StateCounts, type TcpStateName } from '../model/tcpState.js';
import { readEffectiveCapabilities } from '../sources/ownCapabilities.js';
import { scanProcessSockets, type ProcessGroupSockets } from '../sources/processFds.js';
import type { SocketSource } from '../sources/socketSource.js';
import type { CollectContext, Collector } from './collector.js';
import { DEFAULT_PROCESS_OPTIONS, type ProcessOptions } from './options.js';
import { unreadableProcessesWarning } from './privilegeHint.js';

export interface ProcessSockets {
  state: TcpStateName;
  process: string;
  /** Empty unless --collector.processes.pid. */
  pid: string;
  sockets: number;
}

export interface ProcessesResult {
  /** Unix time of the scan this result comes from (scans run every intervalMs, not every cycle). */
  scannedAtSeconds: number;
  scanDurationSeconds: number;
  /** Per state, the top processes (by name, or name and pid) holding sockets in it, most first. */
  top: readonly ProcessSockets[];
  /** Sockets with an inode that no readable descriptor table holds, per state. */
  unattributed: StateCounts;
  processesScanned: number;
  processesUnreadable: number;
}

/**
 * Per-process attribution (opt-in): which processes hold the sockets in each state, with the
 * owners of CLOSE_WAIT sockets (applications that never call close()) the case it is for. A scan
 * walks the socket table for inodes, then every process's descriptor table, so it runs on its own,
 * longer interval. Without the privilege to read other users' descriptor tables it reports what
 * it can read, counts the rest, and says so once in the log.
 */
export class ProcessesCollector implements Collector<ProcessesResult> {
  private readonly inodes = new InodeStates();
  private last: ProcessesResult | undefined;
  private lastScanMs = -Infinity;
  private readonly warned = new Once();

  constructor(
    private readonly source: SocketSource,
    private readonly options: ProcessOptions = DEFAULT_PROCESS_OPTIONS,
    private readonly nowMs: () => number = Date.now,
  ) {}

  async collect(ctx: CollectContext): Promise<ProcessesResult> {
    if (this.last && this.nowMs() - this.lastScanMs < this.options.intervalMs) return this.last;
    const started = performance.now();
    await this.walkInodes(ctx);
    const scan = await scanProcessSockets(ctx.procfs, this.inodes, this.options.pids);
    if (scan.unreadable > 0 && this.warned.first()) {
      const said = unreadableProcessesWarning(
        {
          reading: 'the descriptor tables',
          consequence: 'their sockets count as unattributed',
          needs: ['CAP_SYS_PTRACE', 'CAP_DAC_READ_SEARCH'],
          unreadable: scan.unreadable,
          errors: scan.unreadableErrors,
          fields: { scanned: scan.scanned, first: scan.firstUnreadableError },
        },
        await readEffectiveCapabilities(ctx.procfs),
      );
      ctx.log.warn(said.fields, said.msg);
    }
    const unattributed = zeroStates();
    for (let i = 0; i < this.inodes.size; i++) if (scan.attributed[i] === 0) unattributed[this.inodes.stateAt(i)]!++;
    this.lastScanMs = this.nowMs();
    this.last = {
      scannedAtSeconds: this.lastScanMs / 1000,
      scanDurationSeconds: (performance.now() - started) / 1000,
      top: topPerState(scan.groups, this.options.top),
      unattributed,
      processesScanned: scan.scanned,
      processesUnreadable: scan.unreadable,
    };
    return this.last;
  }

  /** Resets the inode table at the start of a scan, where it still knows the last scan's size (its shrink rule needs it). */
  private async walkInodes(ctx: CollectContext): Promise<void> {
    this.inodes.reset();
    const { fellBack } = await this.source.walk(this.inodes, () => this.inodes.reset());
    if (fellBack) ctx.log.debug({ err: fellBack.primaryError }, 'process scan: primary socket source failed, using the fallback');
  }
}

/** Per state, the `top` groups with the most sockets in it, most first (ties by name, then pid). */
function topPerState(groups: readonly ProcessGroupSockets[], top: number): ProcessSockets[] {
  const out: ProcessSockets[] = [];
  for (const code of STATE_CODES) {
    const ranked = groups.filter((g) => g.states[code]! > 0).sort((a, b) => b.states[code]! - a.states[code]! || byText(a.name, b.name) || byText(a.pid, b.pid));
    for (const g of ranked.slice(0, top)) out.push({ state: stateName(code), process: g.name, pid: g.pid, sockets: g.states[code]! });
  }
  return out;
}

/** Code-unit order: stable across hosts, and no ICU collation in the exporter's footprint. */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
