import type { SocketRecord, SocketSink } from '../../src/model/socketRecord.js';
import { stateName } from '../../src/model/tcpState.js';

export interface SeenSocket {
  family: string;
  state: string;
  local: string;
  remote: string;
  txQueue: number;
  rxQueue: number;
  timer: number;
  inode: number;
}

function formatAddress(family: string, bytes: Uint8Array, port: number): string {
  if (family === 'ipv4') return `${Array.from(bytes.subarray(0, 4)).join('.')}:${port}`;
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return `[${words.join(':')}]:${port}`;
}

/** Copies every record it is given, for tests; the production sinks never do this. */
export class RecordingSink implements SocketSink {
  readonly seen: SeenSocket[] = [];
  add(s: Readonly<SocketRecord>): void {
    this.seen.push({
      family: s.family,
      state: stateName(s.state),
      local: formatAddress(s.family, s.localAddress, s.localPort),
      remote: formatAddress(s.family, s.remoteAddress, s.remotePort),
      txQueue: s.txQueue,
      rxQueue: s.rxQueue,
      timer: s.timer,
      inode: s.inode,
    });
  }
}
