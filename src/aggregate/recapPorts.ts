import { STATE_SLOTS, zeroStates } from '../model/tcpState.js';
import { EPHEMERAL_PORT, OTHER_PORT, type PortStates } from './socketSummary.js';

/**
 * Applies a smaller port cap to per-port states already capped once: the `cap` busiest named
 * ports stay (ties to the lower port), the rest join "other"; an "ephemeral" bucket stays as it is.
 */
export function recapPorts(ports: readonly PortStates[], cap: number): PortStates[] {
  const total = (p: PortStates): number => p.states.reduce((a, b) => a + b, 0);
  const named = ports.filter((p) => p.port !== OTHER_PORT && p.port !== EPHEMERAL_PORT).sort((a, b) => total(b) - total(a) || Number(a.port) - Number(b.port));
  const other = zeroStates();
  for (const p of [...named.slice(cap), ...ports.filter((q) => q.port === OTHER_PORT)]) {
    for (let i = 0; i < STATE_SLOTS; i++) other[i]! += p.states[i]!;
  }
  return [...named.slice(0, cap).sort((a, b) => Number(a.port) - Number(b.port)), { port: OTHER_PORT, states: other }, ...ports.filter((q) => q.port === EPHEMERAL_PORT)];
}
