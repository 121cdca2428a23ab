import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { newSocketRecord, TIMER_UNKNOWN, type SocketSink } from '../model/socketRecord.js';
import { STATE_CODE, type TcpStateName } from '../model/tcpState.js';
import type { SocketSource, WalkReport } from './socketSource.js';

/** The part of systeminformation's networkConnections() entries that we read. */
export interface ConnectionEntry {
  protocol: string;
  localAddress: string;
  localPort: string;
  peerPort: string;
  state: string;
}

export type ConnectionLister = () => Promise<readonly ConnectionEntry[]>;

/**
 * For development machines without /proc/net/tcp (macOS, Windows): asks the OS through the
 * `systeminformation` package, which runs netstat/lsof and builds an object per connection.
 * States and ports are real; queue sizes and timers are not available, so keepalive coverage
 * is reported as unknown and backlogs as absent. Chosen on Linux only by
 * --collector.source=systeminformation. The default lister fails where the package cannot see
 * (systeminformationLister).
 */
export class SysteminformationSocketSource implements SocketSource {
  readonly name = 'systeminformation' as const;
  readonly reportsKernelDetail = false;

  constructor(private readonly list: ConnectionLister = systeminformationLister()) {}

  async walk(sink: SocketSink): Promise<WalkReport> {
    const record = newSocketRecord();
    const entries = await this.list();
    let sockets = 0;
    let malformed = 0;
    // Listeners first (SocketSource.walk): the commands list them in no particular order.
    const ordered = [...entries].sort((a, b) => Number(stateOf(b) === 'listen') - Number(stateOf(a) === 'listen'));
    for (const e of ordered) {
      const state = stateOf(e);
      const localPort = Number(e.localPort);
      const remotePort = state === 'listen' ? 0 : Number(e.peerPort);
      if (!e.protocol.startsWith('tcp') || state === undefined || !validPort(localPort) || !validPort(remotePort)) {
        if (e.protocol.startsWith('tcp')) malformed++;
        continue;
      }
      record.family = e.protocol === 'tcp6' || e.localAddress.includes(':') ? 'ipv6' : 'ipv4';
      record.state = STATE_CODE[state];
      record.localPort = localPort;
      record.remotePort = remotePort;
      record.rxQueue = 0;
      record.txQueue = state === 'listen' ? -1 : 0;
      record.timer = TIMER_UNKNOWN;
      sink.add(record);
      sockets++;
    }
    return { tables: [{ table: 'systeminformation', sockets, malformed, present: true }], backlogSource: 'none' };
  }
}

const STATE_NAMES: Readonly<Record<string, TcpStateName>> = {
  ESTABLISHED: 'established',
  SYN_SENT: 'syn_sent',
  SYN_RECV: 'syn_recv',
  SYN_RECEIVED: 'syn_recv',
  FIN_WAIT1: 'fin_wait1',
  FIN_WAIT_1: 'fin_wait1',
  FIN_WAIT2: 'fin_wait2',
  FIN_WAIT_2: 'fin_wait2',
  TIME_WAIT: 'time_wait',
  CLOSE: 'close',
  CLOSED: 'close',
  CLOSE_WAIT: 'close_wait',
  LAST_ACK: 'last_ack',
  LISTEN: 'listen',
  LISTENING: 'listen',
  CLOSING: 'closing',
};

function stateOf(e: ConnectionEntry): TcpStateName | undefined {
  return STATE_NAMES[e.state.toUpperCase().replace(/-/g, '_')];
}

function validPort(p: number): boolean {
  return Number.isInteger(p) && p >= 0 && p <= 65535;
}

/**
 * The commands systeminformation's networkConnections() runs, per platform, through a shell
 * (child_process.exec: /bin/sh): netstat, else ss, on Linux and the BSDs; netstat (and lsof) on
 * macOS. Windows always has netstat.
 */
const LISTING_COMMANDS: Partial<Record<NodeJS.Platform, readonly string[]>> = {
  linux: ['netstat', 'ss'],
  freebsd: ['netstat'],
  openbsd: ['netstat'],
  netbsd: ['netstat'],
  darwin: ['netstat'],
};

/**
 * systeminformation's networkConnections(), failing where it cannot see. The package reports a
 * failed or missing command as no connections at all, so an image without netstat or ss (or
 * without a shell) would export an empty socket table as a successful collection. An empty
 * answer is therefore checked: it stands only if a listing command and /bin/sh are there;
 * otherwise the walk throws and the collector reports success=0 with this reason.
 */
export function systeminformationLister(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): ConnectionLister {
  return async () => {
    const si = await import('systeminformation');
    const entries = await si.networkConnections();
    if (entries.length === 0 && platform !== 'win32') {
      const commands = LISTING_COMMANDS[platform] ?? [];
      const found = commands.filter((c) => onPath(c, env['PATH'] ?? ''));
      if (found.length === 0 || !executable('/bin/sh')) {
        throw new Error(
          `systeminformation cannot list sockets here: it needs /bin/sh and one of ${commands.join(', ') || '(no command on this platform)'} on PATH ` +
            `(found: ${[...(executable('/bin/sh') ? ['/bin/sh'] : []), ...found].join(', ') || 'none'}); it would report no sockets instead of failing`,
        );
      }
    }
    return entries;
  };
}

function onPath(command: string, path: string): boolean {
  return path.split(delimiter).some((dir) => dir !== '' && executable(join(dir, command)));
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
