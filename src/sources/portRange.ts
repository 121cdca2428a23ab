import type { PortRange, TimeWaitReuseSysctls } from '../aggregate/ephemeralPorts.js';
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

/**
 * net.ipv4.tcp_tw_reuse and net.ipv4.tcp_timestamps of the same namespace: whether connect() may
 * reuse ports TIME_WAIT sockets hold. A file the kernel lacks gives null (no reuse assumed);
 * an unreadable or malformed one throws, with the path.
 */
export async function readTimeWaitReuseSysctls(procfs: string): Promise<TimeWaitReuseSysctls> {
  const one = async (name: string): Promise<number | null> => {
    const path = procPath(procfs, `sys/net/ipv4/${name}`);
    try {
      return parseSysctlIntegers(path, await readSmallFile(path), 1)[0]!;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  };
  return { twReuse: await one('tcp_tw_reuse'), timestamps: await one('tcp_timestamps') };
}
