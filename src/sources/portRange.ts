import type { PortRange } from '../aggregate/ephemeralPorts.js';
import { parsePortList, parseSysctlIntegers } from '../parse/sysctlValue.js';
import { isNotFound, procPath, readSmallFile } from './procfsFiles.js';

/**
 * The ephemeral port range of the network namespace that --path.procfs shows: the range itself
 * (required) and the reserved ports (absent on old kernels: none reserved).
 */
export async function readPortRange(procfs: string): Promise<PortRange> {
  const rangePath = procPath(procfs, 'sys/net/ipv4/ip_local_port_range');
  const [low, high] = parseSysctlIntegers(rangePath, await readSmallFile(rangePath), 2) as [number, number];
  const reservedPath = procPath(procfs, 'sys/net/ipv4/ip_local_reserved_ports');
  let reserved: number[] = [];
  try {
    reserved = parsePortList(reservedPath, await readSmallFile(reservedPath));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  return { low, high, reserved };
}
