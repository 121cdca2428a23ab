import { dashboard, type DashboardJson } from './model.js';

/** The matchers every query uses: the dashboard variables. */
const M = 'job=~"$job", instance=~"$instance"';
const m = (extra = ''): string => `{${M}${extra ? `, ${extra}` : ''}}`;
const rate = (metric: string): string => `rate(${metric}${m()}[$__rate_interval])`;

const RED_AT = (warn: number, crit: number) => [
  { value: null, color: 'green' },
  { value: warn, color: 'orange' },
  { value: crit, color: 'red' },
];

/**
 * The overview an on-call engineer reads in ten seconds: states first, then which ports, then
 * listen queues, keepalive, ephemeral ports and kernel counters, then the exporter's own health.
 */
export function overviewDashboard(): DashboardJson {
  return dashboard({
    uid: 'tcpstate-overview',
    title: 'TCP state overview (tcpstate-exporter)',
    description: 'TCP sockets per state and port, listen queues, keepalive coverage, ephemeral ports and TCP counters, from tcpstate-exporter.',
    tags: ['tcpstate', 'tcp', 'network'],
    rows: [
      {
        row: 'Sockets by state',
        panels: [
          { title: 'Sockets by state', description: 'Every TCP socket of the selected hosts, by state (both address families). Precomputed by the instance_state:tcpstate_sockets:sum recording rule.', type: 'timeseries', unit: 'short', w: 12, stack: true, targets: [{ expr: `sum by (state) (instance_state:tcpstate_sockets:sum${m()})`, legendFormat: '{{state}}' }] },
          { title: 'CLOSE_WAIT sockets', description: 'Sockets whose peer closed while the application has not: should be near zero and never grow. See the TcpstateCloseWaitLeak runbook.', type: 'stat', unit: 'short', w: 4, thresholds: RED_AT(10, 100), targets: [{ expr: `sum(tcpstate_sockets${m('state="close_wait"')})` }] },
          { title: 'TIME_WAIT against tcp_max_tw_buckets', description: 'TIME_WAIT sockets as a share of net.ipv4.tcp_max_tw_buckets, per host; at 100 % the kernel destroys them early. From the instance:tcpstate_time_wait_buckets:ratio recording rule.', type: 'stat', unit: 'percentunit', w: 4, thresholds: RED_AT(0.5, 0.8), targets: [{ expr: `max(instance:tcpstate_time_wait_buckets:ratio${m()})` }] },
          { title: 'TIME_WAIT bucket overflows', description: 'Sockets per second that skipped TIME_WAIT because tcp_max_tw_buckets was reached (TCPTimeWaitOverflow); should be 0.', type: 'stat', unit: 'ops', w: 4, thresholds: RED_AT(0.001, 1), targets: [{ expr: `sum(${rate('tcpstate_tcpext_time_wait_overflow_total')})` }] },
        ],
      },
      {
        row: 'Ports',
        panels: [
          { title: 'Top CLOSE_WAIT ports', description: 'Ports with the most CLOSE_WAIT sockets: role="server" is a local listening port, role="client" a remote port this host connects to.', type: 'bargauge', unit: 'short', w: 8, targets: [{ expr: `topk(10, sum by (role, port) (tcpstate_port_sockets${m('state="close_wait", port=~"$port"')}))`, legendFormat: '{{role}} {{port}}' }] },
          { title: 'Top TIME_WAIT ports', description: 'Ports with the most TIME_WAIT sockets; client ports here hold ephemeral ports towards that remote port.', type: 'bargauge', unit: 'short', w: 8, targets: [{ expr: `topk(10, sum by (role, port) (tcpstate_port_sockets${m('state="time_wait", port=~"$port"')}))`, legendFormat: '{{role}} {{port}}' }] },
          { title: 'Established connections per port', description: 'ESTABLISHED sockets by role and port (server: local listening port; client: remote port).', type: 'timeseries', unit: 'short', w: 8, targets: [{ expr: `sum by (role, port) (tcpstate_port_sockets${m('state="established", port=~"$port"')})`, legendFormat: '{{role}} {{port}}' }] },
          { title: 'Server ports by state', description: 'Sockets on each local listening port by state; ports beyond the exporter\'s cap are summed in port="other".', type: 'timeseries', unit: 'short', targets: [{ expr: `sum by (port, state) (tcpstate_port_sockets${m('role="server", port=~"$port"')}) > 0`, legendFormat: '{{port}} {{state}}' }] },
          { title: 'Client (remote) ports by state', description: 'Outgoing connections by remote port and state; ports beyond the cap are in port="other".', type: 'timeseries', unit: 'short', targets: [{ expr: `sum by (port, state) (tcpstate_port_sockets${m('role="client", port=~"$port"')}) > 0`, legendFormat: '{{port}} {{state}}' }] },
        ],
      },
      {
        row: 'Listen queues',
        panels: [
          { title: 'Listen queue fill per port', description: 'Accept-queue length over backlog of the fullest listener on each port; at 100 % new connections are dropped.', type: 'timeseries', unit: 'percentunit', targets: [{ expr: `max by (port) (tcpstate_listen_queue_max_fill_ratio${m('port=~"$port"')})`, legendFormat: '{{port}}' }] },
          { title: 'Listeners, queues and backlogs', description: 'Per listening port: listening sockets, connections waiting to be accepted, and the configured backlog (summed over the port\'s listeners).', type: 'table', unit: 'short', w: 24, h: 7, targets: [{ expr: `tcpstate_listeners${m('port=~"$port"')}`, instant: true }, { expr: `tcpstate_listen_queue_length${m('port=~"$port"')}`, instant: true }, { expr: `tcpstate_listen_queue_backlog${m('port=~"$port"')}`, instant: true }] },
          { title: 'Listen overflows and drops', description: 'Connection attempts dropped at listening sockets per second (ListenDrops includes ListenOverflows: a full accept queue).', type: 'timeseries', unit: 'ops', targets: [{ expr: `sum by (instance) (${rate('tcpstate_tcpext_listen_overflows_total')})`, legendFormat: 'overflows {{instance}}' }, { expr: `sum by (instance) (${rate('tcpstate_tcpext_listen_drops_total')})`, legendFormat: 'drops {{instance}}' }] },
        ],
      },
      {
        row: 'Keepalive',
        panels: [
          { title: 'Established connections without keepalive', description: 'Share of ESTABLISHED connections with no keepalive timer: if their peer vanishes they stay open forever. From the instance:tcpstate_established_without_keepalive:ratio recording rule.', type: 'timeseries', unit: 'percentunit', targets: [{ expr: `instance:tcpstate_established_without_keepalive:ratio${m()}`, legendFormat: '{{instance}}' }] },
          { title: 'Keepalive settings', description: 'tcp_keepalive_time, _intvl and _probes, and the resulting time to notice a dead peer (time + intvl x probes).', type: 'table', unit: 's', targets: [{ expr: `tcpstate_sysctl_keepalive_time_seconds${m()}`, instant: true }, { expr: `tcpstate_sysctl_keepalive_interval_seconds${m()}`, instant: true }, { expr: `tcpstate_sysctl_keepalive_probes${m()}`, instant: true }, { expr: `tcpstate_keepalive_dead_peer_detection_seconds${m()}`, instant: true }] },
          { title: 'Established connections without keepalive, per server port', description: 'ESTABLISHED server sockets with no keepalive timer, per local listening port.', type: 'bargauge', unit: 'short', w: 24, targets: [{ expr: `topk(10, sum by (port) (tcpstate_port_established_keepalive_sockets${m('keepalive="not_armed", port=~"$port"')}))`, legendFormat: '{{port}}' }] },
        ],
      },
      {
        row: 'Ephemeral ports',
        panels: [
          { title: 'Busiest destination\'s share of the ephemeral range', description: 'Local ports held by connections to the busiest destination over the usable ephemeral ports; at 100 % connect() to it fails with EADDRNOTAVAIL.', type: 'timeseries', unit: 'percentunit', w: 8, targets: [{ expr: `max by (instance) (tcpstate_ephemeral_port_worst_destination_ratio${m()})`, legendFormat: '{{instance}}' }] },
          { title: 'Ephemeral ports in use and usable', description: 'Distinct local ports in net.ipv4.ip_local_port_range held by any socket, against the usable ports of the range.', type: 'timeseries', unit: 'short', w: 8, targets: [{ expr: `tcpstate_ephemeral_ports_in_use${m()}`, legendFormat: 'in use {{instance}}' }, { expr: `tcpstate_ephemeral_ports_usable${m()}`, legendFormat: 'usable {{instance}}' }] },
          { title: 'Busiest destinations', description: 'Destinations holding the most ephemeral ports (remote address and port), TIME_WAIT included.', type: 'table', unit: 'short', w: 8, targets: [{ expr: `tcpstate_ephemeral_port_destination_ports${m()}`, instant: true }] },
          { title: 'Destinations tracked', description: 'Distinct destinations holding ephemeral ports, and how many ports any per-destination count may be short by (0 unless more than 8,192 destinations).', type: 'timeseries', unit: 'short', w: 24, h: 6, targets: [{ expr: `tcpstate_ephemeral_port_destinations${m()}`, legendFormat: 'destinations {{instance}}' }, { expr: `tcpstate_ephemeral_port_count_error${m()}`, legendFormat: 'count error {{instance}}' }] },
        ],
      },
      {
        row: 'Kernel counters',
        panels: [
          { title: 'Retransmitted segments', description: 'Share of sent segments that are retransmissions, from the instance:tcpstate_tcp_retransmit:ratio_rate5m recording rule.', type: 'timeseries', unit: 'percentunit', w: 8, targets: [{ expr: `instance:tcpstate_tcp_retransmit:ratio_rate5m${m()}`, legendFormat: '{{instance}}' }] },
          { title: 'Resets', description: 'Resets sent, and established connections reset, per second.', type: 'timeseries', unit: 'ops', w: 8, targets: [{ expr: `sum by (instance) (${rate('tcpstate_tcp_out_resets_total')})`, legendFormat: 'sent {{instance}}' }, { expr: `sum by (instance) (${rate('tcpstate_tcp_established_resets_total')})`, legendFormat: 'established reset {{instance}}' }] },
          { title: 'Aborts', description: 'Connections the kernel aborted per second: on timeout, on close with unread data, on data after close, on memory pressure.', type: 'timeseries', unit: 'ops', w: 8, targets: [{ expr: `sum by (instance) (${rate('tcpstate_tcpext_abort_on_timeout_total')})`, legendFormat: 'timeout {{instance}}' }, { expr: `sum by (instance) (${rate('tcpstate_tcpext_abort_on_close_total')})`, legendFormat: 'close {{instance}}' }, { expr: `sum by (instance) (${rate('tcpstate_tcpext_abort_on_data_total')})`, legendFormat: 'data {{instance}}' }, { expr: `sum by (instance) (${rate('tcpstate_tcpext_abort_on_memory_total')})`, legendFormat: 'memory {{instance}}' }] },
        ],
      },
      {
        row: 'Connections and queues',
        panels: [
          { title: 'Connections opened', description: 'Connections opened per second: active (this host connected) and passive (accepted), and failed attempts.', type: 'timeseries', unit: 'ops', w: 8, targets: [{ expr: `sum by (instance) (${rate('tcpstate_tcp_active_opens_total')})`, legendFormat: 'active {{instance}}' }, { expr: `sum by (instance) (${rate('tcpstate_tcp_passive_opens_total')})`, legendFormat: 'passive {{instance}}' }, { expr: `sum by (instance) (${rate('tcpstate_tcp_attempt_fails_total')})`, legendFormat: 'failed {{instance}}' }] },
          { title: 'Segments and errors', description: 'Segments received and sent per second, and segments received with errors.', type: 'timeseries', unit: 'pps', w: 8, targets: [{ expr: `sum by (instance) (${rate('tcpstate_tcp_in_segments_total')})`, legendFormat: 'in {{instance}}' }, { expr: `sum by (instance) (${rate('tcpstate_tcp_out_segments_total')})`, legendFormat: 'out {{instance}}' }, { expr: `sum by (instance) (${rate('tcpstate_tcp_in_errors_total')})`, legendFormat: 'errors {{instance}}' }] },
          { title: 'SYN retransmits and SYN cookies', description: 'SYNs retransmitted, and SYN cookies sent, received and failed per second (cookies are sent when a SYN queue overflows).', type: 'timeseries', unit: 'ops', w: 8, targets: [{ expr: `sum by (instance) (${rate('tcpstate_tcpext_syn_retransmits_total')})`, legendFormat: 'SYN retransmits {{instance}}' }, { expr: `sum by (instance) (${rate('tcpstate_tcpext_syncookies_sent_total')})`, legendFormat: 'cookies sent {{instance}}' }, { expr: `sum by (instance) (${rate('tcpstate_tcpext_syncookies_received_total')})`, legendFormat: 'cookies received {{instance}}' }, { expr: `sum by (instance) (${rate('tcpstate_tcpext_syncookies_failed_total')})`, legendFormat: 'cookies failed {{instance}}' }] },
          { title: 'Queued bytes by state', description: 'Bytes received and not yet read by applications (receive) and not yet sent or acknowledged (send), by state: receive bytes piling up in CLOSE_WAIT or ESTABLISHED mean a slow reader.', type: 'timeseries', unit: 'bytes', w: 8, targets: [{ expr: `sum by (state) (tcpstate_receive_queue_bytes${m()}) > 0`, legendFormat: 'receive {{state}}' }, { expr: `sum by (state) (tcpstate_send_queue_bytes${m()}) > 0`, legendFormat: 'send {{state}}' }] },
          { title: 'Kernel socket accounting', description: 'From /proc/net/sockstat: TCP sockets in use per family, orphans (closed by their process, still in the kernel), TIME_WAIT, allocated.', type: 'timeseries', unit: 'short', w: 8, targets: [{ expr: `sum by (family) (tcpstate_sockstat_sockets_in_use${m()})`, legendFormat: 'in use {{family}}' }, { expr: `sum(tcpstate_sockstat_orphan_sockets${m()})`, legendFormat: 'orphans' }, { expr: `sum(tcpstate_sockstat_time_wait_sockets${m()})`, legendFormat: 'TIME_WAIT' }, { expr: `sum(tcpstate_sockstat_allocated_sockets${m()})`, legendFormat: 'allocated' }, { expr: `sum(tcpstate_tcp_current_established${m()})`, legendFormat: 'established (snmp)' }] },
          { title: 'TCP memory', description: 'Memory the kernel has allocated to TCP buffers (sockstat "mem" in pages, converted to bytes).', type: 'timeseries', unit: 'bytes', w: 8, targets: [{ expr: `sum by (instance) (tcpstate_sockstat_memory_bytes${m()})`, legendFormat: '{{instance}}' }] },
        ],
      },
      {
        row: 'Kernel settings',
        panels: [
          { title: 'TCP sysctls', description: 'The sysctls that decide how long sockets live: keepalive, fin_timeout, tw_reuse, max_tw_buckets, backlogs, the ephemeral port range, syncookies, retries2, max_orphans.', type: 'table', unit: 'short', w: 24, h: 7, targets: [{ expr: `{__name__=~"tcpstate_sysctl_.+", ${M}}`, instant: true }] },
        ],
      },
      {
        row: 'Per process and per pod (opt-in collectors)',
        panels: [
          { title: 'Processes holding CLOSE_WAIT sockets', description: 'Needs --collector.processes. The processes with the most CLOSE_WAIT sockets: applications that do not close connections their peers closed.', type: 'bargauge', unit: 'short', w: 8, targets: [{ expr: `topk(10, sum by (instance, process, pid) (tcpstate_process_sockets${m('state="close_wait"')}))`, legendFormat: '{{process}} {{pid}} ({{instance}})' }] },
          { title: 'Top processes by state', description: 'Needs --collector.processes. The processes with the most sockets in each state, and the sockets no readable process holds.', type: 'table', unit: 'short', w: 8, targets: [{ expr: `tcpstate_process_sockets${m()}`, instant: true }, { expr: `tcpstate_process_unattributed_sockets${m()} > 0`, instant: true }] },
          { title: 'Process scan', description: 'Needs --collector.processes. Duration and age of the last process scan, processes read and those whose descriptors could not be read (missing CAP_SYS_PTRACE).', type: 'table', unit: 'short', w: 8, targets: [{ expr: `tcpstate_process_scan_duration_seconds${m()}`, instant: true }, { expr: `time() - tcpstate_process_scan_timestamp_seconds${m()}`, instant: true }, { expr: `tcpstate_process_scan_processes${m()}`, instant: true }, { expr: `tcpstate_process_scan_unreadable_processes${m()}`, instant: true }] },
          { title: 'Pods with the most CLOSE_WAIT sockets', description: 'Needs --collector.netns. Network namespaces by CLOSE_WAIT sockets, with their pod UID (join with kube_pod_info on uid for the pod name: docs/attribution.md).', type: 'bargauge', unit: 'short', w: 8, targets: [{ expr: `topk(10, sum by (instance, netns, pod_uid) (tcpstate_netns_sockets${m('state="close_wait"')}))`, legendFormat: '{{pod_uid}} {{netns}} ({{instance}})' }] },
          { title: 'Sockets per namespace and port', description: 'Needs --collector.netns and --collector.netns.ports. The busiest ports of each network namespace by state.', type: 'table', unit: 'short', w: 8, targets: [{ expr: `topk(20, tcpstate_netns_port_sockets${m()} > 0)`, instant: true }] },
          { title: 'Namespaces', description: 'Needs --collector.netns. Network namespaces collected, skipped beyond --collector.netns.max, and failed, and processes whose namespace could not be read.', type: 'timeseries', unit: 'short', w: 8, targets: [{ expr: `sum by (outcome) (tcpstate_netns_namespaces${m()})`, legendFormat: '{{outcome}}' }, { expr: `sum(tcpstate_netns_unreadable_processes${m()})`, legendFormat: 'unreadable processes' }] },
        ],
      },
      {
        row: 'Exporter health',
        panels: [
          { title: 'Collection duration', description: 'How long each exporter collector took in its last cycle.', type: 'timeseries', unit: 's', w: 8, targets: [{ expr: `max by (collector) (tcpstate_collector_duration_seconds${m()})`, legendFormat: '{{collector}}' }] },
          { title: 'Collectors failing', description: 'Collectors that failed their last cycle (their metrics are absent); 0 is healthy.', type: 'stat', unit: 'short', w: 8, thresholds: RED_AT(1, 1), targets: [{ expr: `count(tcpstate_collector_success${m()} == 0) or vector(0)` }] },
          { title: 'Snapshot age', description: 'Age of the snapshot each exporter serves, against its collection interval; well above the interval means collection is stuck.', type: 'timeseries', unit: 's', w: 8, targets: [{ expr: `max by (instance) (tcpstate_snapshot_age_seconds${m()})`, legendFormat: 'age {{instance}}' }, { expr: `max by (instance) (tcpstate_collection_interval_seconds${m()})`, legendFormat: 'interval {{instance}}' }, { expr: `max by (instance) (tcpstate_collection_duration_seconds${m()})`, legendFormat: 'last cycle {{instance}}' }] },
          { title: 'Socket source', description: 'Where the socket table comes from (netlink, procfs, systeminformation), per-cycle fallbacks from netlink to procfs, where listen backlogs come from, and malformed socket-table lines skipped.', type: 'table', unit: 'short', w: 16, targets: [{ expr: `tcpstate_socket_source_info${m()}`, instant: true }, { expr: `increase(tcpstate_socket_source_fallbacks_total${m()}[$__rate_interval])`, instant: true }, { expr: `tcpstate_listen_backlog_source_info${m()}`, instant: true }, { expr: `tcpstate_socket_table_malformed_lines${m()}`, instant: true }] },
          { title: 'Exporter versions', description: 'Exporter and Node.js versions, and when each exporter took its last snapshot.', type: 'table', unit: 'short', w: 8, targets: [{ expr: `tcpstate_build_info${m()}`, instant: true }, { expr: `tcpstate_snapshot_timestamp_seconds${m()}`, instant: true }] },
        ],
      },
    ],
  });
}
