import type { CollectContext, Collector } from './collector.js';
import { readSnmpProtocol, type CounterValues } from './snmpCollector.js';

/**
 * The TcpExt group of /proc/net/netstat (net/ipv4/proc.c, snmp4_net_list; LINUX_MIB_* in
 * include/uapi/linux/snmp.h), every field under the kernel's name. Older kernels lack some
 * fields (TCPMemoryPressuresChrono before 4.x): those are simply absent.
 */
export class NetstatCollector implements Collector<CounterValues> {

  collect(ctx: CollectContext): Promise<CounterValues> {
    return readSnmpProtocol(ctx.procfs, 'net/netstat', 'TcpExt');
  }
}
