/**
 * TCP states in the kernel's numbering (include/net/tcp_states.h): TCP_ESTABLISHED = 1 … TCP_CLOSING = 11.
 * Index i in every per-state array of this project is kernel state i + 1.
 * The kernel's internal TCP_NEW_SYN_RECV (12) never reaches user space: /proc/net/tcp and
 * sock_diag both report request sockets as TCP_SYN_RECV (3).
 */
export const TCP_STATES = [
  'established',
  'syn_sent',
  'syn_recv',
  'fin_wait1',
  'fin_wait2',
  'time_wait',
  'close',
  'close_wait',
  'last_ack',
  'listen',
  'closing',
] as const;

export type TcpStateName = (typeof TCP_STATES)[number];

export const STATE_COUNT = TCP_STATES.length;

export const STATE_INDEX: Readonly<Record<TcpStateName, number>> = Object.freeze(
  Object.fromEntries(TCP_STATES.map((name, i) => [name, i])) as Record<TcpStateName, number>,
);

/** Kernel state code (1..11) to array index, or -1 for a code outside the range. */
export function stateIndexFromKernel(code: number): number {
  return code >= 1 && code <= STATE_COUNT ? code - 1 : -1;
}

export const ESTABLISHED = STATE_INDEX.established;
export const LISTEN = STATE_INDEX.listen;
export const TIME_WAIT = STATE_INDEX.time_wait;

export type Family = 'ipv4' | 'ipv6';
export const FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];

/** A per-state count vector, indexed like TCP_STATES. */
export type StateCounts = readonly number[];

export function zeroStates(): number[] {
  return new Array<number>(STATE_COUNT).fill(0);
}
