import type { TcpInfoSummary } from '../aggregate/tcpInfoAggregator.js';
import type { CollectedInputs, Collector } from './collector.js';
import type { SocketsResult } from './socketsCollector.js';
import { TCPINFO_INPUTS } from './options.js';

/**
 * RTT and retransmission state of ESTABLISHED sockets per port (opt-in, --collector.tcpinfo). It
 * makes no walk of its own: with it on, the sockets collector's netlink walk asks the kernel for
 * each full socket's tcp_info (INET_DIAG_INFO) and folds it as it goes; this collector publishes
 * that part of the same cycle (its input, Collector.inputs). Throws when the sockets collector is
 * off or failed, or when the cycle's walk was not over netlink (procfs carries no tcp_info).
 */
export class TcpinfoCollector implements Collector<TcpInfoSummary, { sockets: SocketsResult }> {
  readonly inputs = TCPINFO_INPUTS;

  async collect(_ctx: unknown, inputs?: CollectedInputs<{ sockets: SocketsResult }>): Promise<TcpInfoSummary> {
    const sockets = inputs?.sockets;
    if (sockets === undefined) throw new Error('needs the sockets collector: tcp_info comes with its walk');
    if (!sockets.ok) throw new Error(`needs the sockets collector: tcp_info comes with its walk, and it has no result this cycle (${sockets.reason})`);
    const info = sockets.value.tcpInfo;
    if (info === undefined) throw new Error('the sockets collector was built without tcp_info');
    if (info === null) throw new Error(`tcp_info comes from sock_diag netlink, and this cycle's socket source was ${sockets.value.source}`);
    return info;
  }
}
