import { bucketCount, DEFAULT_PORT_LIMITS } from '../aggregate/socketSummary.js';
import { RTT_BUCKETS_US } from '../aggregate/tcpInfoAggregator.js';
import { DEFAULT_CONNECTIONS_OPTIONS, DEFAULT_NETNS_OPTIONS } from '../collectors/options.js';

/**
 * The part of docs/metrics.md about --collector.connections (per port, and per network namespace
 * with --collector.netns) and --collector.tcpinfo: which kernel field each series comes from, how
 * exact it is, what it costs, how many series.
 */
export function eventCollectorsDoc(): string[] {
  const buckets = bucketCount(DEFAULT_PORT_LIMITS);
  const ports = DEFAULT_PORT_LIMITS.maxServerPorts + buckets + DEFAULT_PORT_LIMITS.topClientPorts + buckets;
  return [
    '## Closed connections (`--collector.connections`)',
    '',
    "The kernel multicasts a `SOCK_DIAG_BY_FAMILY` message to the sock_diag groups `SKNLGRP_INET_TCP_DESTROY` and `SKNLGRP_INET6_TCP_DESTROY` for every full TCP socket it frees while some socket listens to them (`sock_diag_broadcast_destroy()`, net/core/sock_diag.c): an `inet_diag_msg` (ports, addresses) and the socket's last `struct tcp_info` (`INET_DIAG_INFO`). Each side of a connection is one event: an active closer's socket when it becomes a TIME_WAIT mini-socket, a passive closer's when its FIN is acknowledged. Listeners and sockets closed before they connected (remote port 0) are not connections and are left out; failed connection attempts (refused, timed out) are counted, with no bytes. The exporter's socket needs no privilege. Every series counts since the exporter started, by role and port as `tcpstate_port_sockets`: the same role rules (\"Socket roles\" above; the listeners are those of LISTEN-only dumps, see Cost), and the same port series selection (caps, pins, admission and keep hysteresis, `port=\"ephemeral\"` for ports inside `ip_local_port_range` unless `--collector.ports.ephemeral-by-number`, `port=\"other\"` for the rest).",
    '',
    '| series | kernel field (`struct tcp_info`, include/uapi/linux/tcp.h) |',
    '| --- | --- |',
    '| `tcpstate_port_closed_connections_total` | one per destroy event with a remote port |',
    '| `tcpstate_port_closed_connection_bytes_total{direction="sent"}` | `tcpi_bytes_sent` − `tcpi_bytes_retrans`: data bytes, each once (Linux 4.19+; before, `tcpi_bytes_acked` less 1 for the FIN and 1 more for a client socket\'s SYN) |',
    '| `tcpstate_port_closed_connection_bytes_total{direction="received"}` | `tcpi_bytes_received` − 1 (the peer\'s FIN) when it is above 0 |',
    '| `tcpstate_port_closed_connection_segments_total` | `tcpi_segs_out` (sent), `tcpi_segs_in` (received): every segment, control and retransmitted ones included |',
    '| `tcpstate_port_closed_connection_retransmitted_segments_total` | `tcpi_total_retrans` |',
    "| `tcpstate_connection_events_lost_total` | the event socket's `sk_drops` (`SO_MEMINFO`, `SK_MEMINFO_DROPS`), summed over the sockets the collector opened |",
    '',
    "**Why not `tcpi_bytes_acked`.** It counts sequence space: the SYN on the side that opened the connection and the FIN once acknowledged. A client sending 5,000 bytes and closing reads 5002; its server, sending 300, reads 301 (measured on 6.18). The event does not say which side opened, so that cannot be taken off reliably; `tcpi_bytes_sent` − `tcpi_bytes_retrans` has no control bytes. `tcpi_bytes_received` also counts the peer's FIN, and nothing in the event says whether it arrived: it is taken off whenever anything was received. That is exact for every connection the peer closed with a FIN before this socket went (a passive closer always; an active closer that reached TIME_WAIT), and one byte low for an active closer whose own FIN was acknowledged before the peer's came (the kernel then frees the full socket at once, in FIN_WAIT2) and for a connection reset after receiving data.",
    '',
    `**Lost events, exactly.** The socket sets \`NETLINK_NO_ENOBUFS\`: a message that does not fit in the receive buffer is dropped and counted in the socket's \`sk_drops\` by \`netlink_overrun()\`, and the next one is delivered (without it, the kernel reports one ENOBUFS and drops everything until the reader has drained the queue). So counted + lost equals the destroyed sockets, exactly, with these exceptions: a lost event may have been a listener's (they are not connections, and a drop does not say whose it was); the kernel counts nowhere an event it could not allocate (\`kmalloc(GFP_ATOMIC)\` of the work item or \`nlmsg_new()\` failing under memory pressure); events before the first collection, and those still queued when a reader fails and is replaced, are not seen. The receive buffer is \`--collector.connections.receive-buffer\` (default ${DEFAULT_CONNECTIONS_OPTIONS.receiveBufferBytes} bytes; the kernel grants twice the request, capped at twice \`net.core.rmem_max\` unless the exporter has CAP_NET_ADMIN); an event takes ~1.3 KB of it (the skb's truesize), so the default holds ~6,000 events where rmem_max allows it and ~330 under a default rmem_max of 208 KiB. A loss is logged once per burst.`,
    '',
    '**Monotonic whatever the caps do.** Each port keeps its totals since start in fixed arrays (12 MB of address space for both roles, resident ~100 bytes per port seen). Every port that ever closed a connection is a candidate for a series, ranked by connections closed since start, admitted and kept by the hysteresis of `tcpstate_port_sockets` (a cycle is a collection). A port\'s series appears at 0 at the collection that names it, and what the port counted before stays in `port="other"`: Prometheus takes a new series\' first sample as its start (`rate()`/`increase()` count nothing before it), so a series born at its count would lose that count from every sum. To count a port under its own series from the start, pin it (`--collector.ports.pin`); `port="ephemeral"` keeps what a port brought while it was inside the range, should the range change; `port="other"` is the rest of the role, so it never goes down: a port leaving the named set hands what its series had counted to it.',
    '',
    '**Cost.** With the collector on, the kernel builds a ~380-byte message on a workqueue for every TCP socket it frees, and the exporter reads them in batches (a blocking `recv()` on a libuv pool thread for the first event of a batch, which keeps one pool thread waiting, then non-blocking `recv()`s on the event loop for what is already queued, up to 128 per batch). Listeners come from a LISTEN-only dump at every collection (which starts a cycle of the role rules), after a batch when the last is older than 250 ms, and before a batch holding a connection from a port outside `ip_local_port_range` without a known listener. `npm run bench:connections` measures it (closes per second against counted, lost and CPU).',
    '',
    `Series: 6 per port and role (closed, 2 bytes, 2 segments, retransmitted), for the named ports, "other" and "ephemeral" of each role: (${DEFAULT_PORT_LIMITS.maxServerPorts} + ${buckets} + ${DEFAULT_PORT_LIMITS.topClientPorts} + ${buckets}) × 6 + 1 = **${ports * 6 + 1}** with the defaults; (S + P + B + C + P + B) × 6 + 1 in general (B: 2, or 1 with \`--collector.ports.ephemeral-by-number\`).`,
    '',
    '### Per network namespace (`--collector.netns` with `--collector.connections`)',
    '',
    'With both collectors on, the netns collector counts the same events per collected network namespace, state totals only (no roles, no ports): `tcpstate_netns_closed_connections_total`, `tcpstate_netns_closed_connection_bytes_total{direction}`, `tcpstate_netns_closed_connection_segments_total{direction}`, `tcpstate_netns_closed_connection_retransmitted_segments_total` and `tcpstate_netns_connection_events_lost_total`, labelled `netns`, `pod_uid`, `container_id` as `tcpstate_netns_sockets`. Each destroyed socket is folded by the same code as the per-port counters (the same kernel fields, the FIN and SYN taken out the same way), so bytes are payload bytes there too. Each side of a connection is counted in the namespace that holds it: a connection between two processes of one pod counts twice there.',
    '',
    "- **The exporter's own namespace** (`netns=\"host\"` for the DaemonSet) is the connections collector's result of the same cycle, summed over roles and ports: it equals the sum of the `tcpstate_port_closed_*` series exactly, and its lost counter is `tcpstate_connection_events_lost_total`. A cycle in which the connections collector failed leaves that namespace's series out (not zero).",
    "- **Every other namespace** gets an event socket of its own, created inside it as the netns dumps' are (`setns()` into `/proc/<pid>/ns/net` on the event-loop thread, `socket()`, `setns()` back; needs **CAP_SYS_ADMIN**), with the options of the own one (both destroy groups, `SO_RCVBUF`/`SO_RCVBUFFORCE` of 1 MiB, or `--collector.connections.receive-buffer` when that is smaller, `NETLINK_NO_ENOBUFS`, losses from its `sk_drops`). One libuv pool thread waits for all of them with a single `poll(2)` (at most 250 ms at a time, so a socket opened meanwhile is waited on soon after; its events queue until then), and the ready ones are drained with non-blocking `recv()`s on the event loop; a socket is closed only once no poll holds it.",
    '- **Counted from when the socket is opened**: the first cycle in which the namespace is among the collected ones. Connections it closed before (before the exporter started, or while it was beyond `--collector.netns.max`) are not counted. The counters grow while the namespace stays collected; one that disappears (its last process exited) or falls beyond `--collector.netns.max` has its socket closed and loses its series, and starts again from zero if it comes back, which `rate()` takes as a counter reset.',
    '- **Without CAP_SYS_ADMIN** (`setns()` refused with EPERM) the other namespaces have no such series at all, never zeros; the exporter says so once in the log (naming the capability), and `tcpstate_netns_connection_events_namespaces{outcome="unread"}` counts the collected namespaces without them (`outcome="read"`: those with them). A namespace whose process exits between discovery and the opening of its socket is unread for that cycle and tried again at the next.',
    '- **Memory**: each socket may hold up to its receive buffer of queued events while the exporter does not read (2 MiB where the kernel grants twice the 1 MiB asked: ~1,600 events): with `--collector.netns.max` namespaces, at most that many times over, and only while events pile up.',
    '',
    `Series: 7 per collected namespace whose events are read (closed, 2 bytes, 2 segments, retransmitted, lost), bounded by \`--collector.netns.max\`: ${DEFAULT_NETNS_OPTIONS.max} × 7 = **${DEFAULT_NETNS_OPTIONS.max * 7}** with the defaults, and 2 for \`tcpstate_netns_connection_events_namespaces\`.`,
    '',
    '## tcp_info (`--collector.tcpinfo`)',
    '',
    "The sockets collector's netlink walk asks the kernel for `INET_DIAG_INFO` in its non-LISTEN dumps (as `ss -ti` does), and folds each ESTABLISHED socket's `struct tcp_info` by the role and port `tcpstate_port_sockets` gives it in the same walk, with the same named ports, \"other\" and \"ephemeral\". Netlink only: a cycle on procfs fails the collector.",
    '',
    '| series | kernel field |',
    '| --- | --- |',
    `| \`tcpstate_port_rtt_seconds\` | \`tcpi_rtt\` (\`srtt_us >> 3\`, microseconds), of ESTABLISHED sockets with a sample (> 0); buckets ${RTT_BUCKETS_US.map((us) => `${us / 1e6}`).join(', ')} s and +Inf |`,
    '| `tcpstate_port_retransmitting_sockets` | ESTABLISHED sockets with `tcpi_retransmits` (`icsk_retransmits`) > 0: the retransmission timer fired and the peer has acknowledged nothing since |',
    '',
    '`tcpi_backoff` is not used: zero-window probes raise it too (a peer that does not read, not a path that drops), and fast retransmits raise neither: a socket counts as retransmitting only while it waits on an RTO that has already fired, the sign of a black-holed peer or path.',
    '',
    "**Cost.** The kernel fills a `tcp_info` for every full socket of the non-LISTEN dumps under the socket's lock (`tcp_get_info()`), and each message grows from 124 to 408 bytes (6.18), so a 32 KiB datagram holds ~80 sockets instead of ~260. `npm run bench:connections` measures it against a C dump asking for the same extension (bench/diagDump.c) and `ss -tin`, in the same run.",
    '',
    `Series: ${RTT_BUCKETS_US.length + 1} buckets, sum and count of the histogram, and the gauge: ${RTT_BUCKETS_US.length + 4} per port and role: (${DEFAULT_PORT_LIMITS.maxServerPorts} + ${buckets} + ${DEFAULT_PORT_LIMITS.topClientPorts} + ${buckets}) × ${RTT_BUCKETS_US.length + 4} = **${ports * (RTT_BUCKETS_US.length + 4)}** with the defaults.`,
    '',
  ];
}
