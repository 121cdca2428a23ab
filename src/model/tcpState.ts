/**
 * TCP states in the kernel's numbering (include/net/tcp_states.h), the codes /proc/net/tcp prints
 * in hex (`0A` is LISTEN) and sock_diag puts in idiag_state: TCP_ESTABLISHED = 1 … TCP_CLOSING = 11.
 * A socket's `state` is that code, and every per-state array of this project is indexed by it:
 * STATE_SLOTS long, slot 0 (no state) unused and always 0.
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

/** The kernel's code of each state: TCP_STATES in order from 1. */
export const STATE_CODE: Readonly<Record<TcpStateName, number>> = Object.freeze(
  Object.fromEntries(TCP_STATES.map((name, i) => [name, i + 1])) as Record<TcpStateName, number>,
);

/** Every state code, in the kernel's order (1..11). */
export const STATE_CODES: readonly number[] = TCP_STATES.map((name) => STATE_CODE[name]);

/** Length of a per-state array: one slot per code, and slot 0 unused. */
export const STATE_SLOTS = TCP_STATES.length + 1;

/** Whether `code` is a TCP state the kernel reports (1..11). */
export function isStateCode(code: number): boolean {
  return code >= 1 && code < STATE_SLOTS;
}

/** The label value of a state code (1..11). */
export function stateName(code: number): TcpStateName {
  const name = TCP_STATES[code - 1];
  if (name === undefined) throw new RangeError(`no TCP state ${code}`);
  return name;
}

/** TCP_ESTABLISHED. */
export const ESTABLISHED = 1;
/** TCP_TIME_WAIT. */
export const TIME_WAIT = 6;
/** TCP_LISTEN (`0A` in /proc/net/tcp). */
export const LISTEN = 10;

export type Family = 'ipv4' | 'ipv6';
export const FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];

/** A per-state count vector, indexed by state code (STATE_SLOTS long, slot 0 always 0). */
export type StateCounts = readonly number[];

/** A new per-state vector of zeros, to count into: the one way one is made. */
export function zeroStates(): number[] {
  return new Array<number>(STATE_SLOTS).fill(0);
}

/** A per-state vector as {state: count}, every state in the kernel's order (how JSON shows one). */
export function statesByName(counts: StateCounts): Record<TcpStateName, number> {
  return Object.fromEntries(STATE_CODES.map((code) => [stateName(code), counts[code]!])) as Record<TcpStateName, number>;
}
