import { newTcpInfoFields, type TcpInfoFields } from './tcpInfo.js';
import type { Family } from './tcpState.js';

/**
 * One socket as a source reports it. Sources own a single instance and overwrite it for every
 * socket they visit, so a walk over a million sockets allocates nothing per socket; a sink must
 * copy what it wants to keep before returning.
 */
export interface SocketRecord {
  family: Family;
  /** The kernel's TCP state code (1 ESTABLISHED … 10 LISTEN, 11 CLOSING; tcpState.ts). */
  state: number;
  localPort: number;
  remotePort: number;
  /**
   * Non-LISTEN: bytes in the receive queue (not yet read by the application).
   * LISTEN: connections waiting in the accept queue (sk_ack_backlog).
   */
  rxQueue: number;
  /**
   * Non-LISTEN: bytes sent but not yet acknowledged plus not yet sent.
   * LISTEN: the configured backlog (sk_max_ack_backlog) where the source knows it, else -1.
   */
  txQueue: number;
  /** Timer kind, see TIMER_* below; TIMER_UNKNOWN where the source cannot tell. */
  timer: number;
  uid: number;
  inode: number;
  /** Addresses in network byte order; IPv4 uses the first 4 bytes. */
  readonly localAddress: Uint8Array;
  readonly remoteAddress: Uint8Array;
  /**
   * The same 16 bytes of each address as four 32-bit words in the host's byte order (views over
   * the same memory): a source copies an address a word at a time, a sink reads it so.
   */
  readonly localAddressWords: Uint32Array;
  readonly remoteAddressWords: Uint32Array;
  /**
   * The socket's struct tcp_info, when the walk asked for it (WalkOptions.tcpInfo, netlink only)
   * and the kernel has one for it (full sockets; not TIME_WAIT or SYN_RECV); -1 otherwise. A walk
   * fills rttUs and retransmits only; the other fields stay -1.
   */
  readonly info: TcpInfoFields;
}

/** Values of the `tr` column of /proc/net/tcp and of inet_diag_msg.idiag_timer. */
export const TIMER_NONE = 0;
export const TIMER_RETRANSMIT = 1;
export const TIMER_KEEPALIVE = 2;
export const TIMER_TIME_WAIT = 3;
export const TIMER_ZERO_WINDOW_PROBE = 4;
export const TIMER_UNKNOWN = -1;

export function newSocketRecord(): SocketRecord {
  // Each address its own 16-byte buffer, so the word views are aligned.
  const localAddressWords = new Uint32Array(4);
  const remoteAddressWords = new Uint32Array(4);
  return {
    family: 'ipv4',
    state: 0,
    localPort: 0,
    remotePort: 0,
    rxQueue: 0,
    txQueue: 0,
    timer: TIMER_NONE,
    uid: 0,
    inode: 0,
    localAddress: new Uint8Array(localAddressWords.buffer),
    remoteAddress: new Uint8Array(remoteAddressWords.buffer),
    localAddressWords,
    remoteAddressWords,
    info: newTcpInfoFields(),
  };
}

/** Where parsed sockets go. Called once per socket with the source's reused record. */
export interface SocketSink {
  add(socket: Readonly<SocketRecord>): void;
}
