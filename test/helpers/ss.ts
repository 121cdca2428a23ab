import { spawnSync } from 'node:child_process';
import { STATE_CODE, STATE_SLOTS, type TcpStateName } from '../../src/model/tcpState.js';

const SS_STATES: Readonly<Record<string, TcpStateName>> = {
  ESTAB: 'established', 'SYN-SENT': 'syn_sent', 'SYN-RECV': 'syn_recv', 'FIN-WAIT-1': 'fin_wait1',
  'FIN-WAIT-2': 'fin_wait2', 'TIME-WAIT': 'time_wait', UNCONN: 'close', CLOSE: 'close', 'CLOSE-WAIT': 'close_wait',
  'LAST-ACK': 'last_ack', LISTEN: 'listen', CLOSING: 'closing',
};

export interface SsSocket {
  state: TcpStateName;
  recvQ: number;
  sendQ: number;
  localPort: number;
  peerPort: number;
  keepalive: boolean;
}

/** `ss -tanoH`: every TCP socket, numeric, with timers; the reference the exporter is checked against. */
export function ssSockets(): SsSocket[] {
  const r = spawnSync('ss', ['-tanoH'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`ss failed: ${r.stderr}`);
  return parseSs(r.stdout);
}

/** Parses the output of `ss -tanoH` (or `-tanH`), e.g. one run inside a network namespace. */
export function parseSs(text: string): SsSocket[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const [state = '', recvQ = '0', sendQ = '0', local = '', peer = ''] = line.trim().split(/\s+/);
      const port = (addr: string): number => Number(addr.slice(addr.lastIndexOf(':') + 1));
      const mapped = SS_STATES[state];
      if (!mapped) throw new Error(`unknown ss state ${state}`);
      return {
        state: mapped,
        recvQ: Number(recvQ),
        sendQ: Number(sendQ),
        localPort: port(local),
        peerPort: port(peer),
        keepalive: line.includes('timer:(keepalive'),
      };
    });
}

/** Per-state counts by role, computed from ss output the way the exporter defines roles. */
export function ssPortStates(sockets: readonly SsSocket[], port: number, role: 'server' | 'client'): number[] {
  const listening = new Set(sockets.filter((s) => s.state === 'listen').map((s) => s.localPort));
  const counts = new Array<number>(STATE_SLOTS).fill(0);
  for (const s of sockets) {
    const isServer = listening.has(s.localPort);
    if (role === 'server' && isServer && s.localPort === port) counts[STATE_CODE[s.state]]!++;
    if (role === 'client' && !isServer && s.peerPort === port && s.state !== 'listen') counts[STATE_CODE[s.state]]!++;
  }
  return counts;
}
