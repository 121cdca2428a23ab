// The overview an on-call engineer reads first: the top row is what alerts (firing Tcpstate
// alerts and the signals they fire on), then states, ports, listen queues, keepalive, ephemeral
// ports, kernel counters and settings, the opt-in per-process and per-pod views, and the
// exporter's own health. Every per-host and per-port query keeps `instance`, in its grouping and
// in its legend.
local lib = import '../lib.libsonnet';
local common = import 'common.libsonnet';
local g = import 'grafana.libsonnet';
local queries = import 'queries.libsonnet';

function(c)
  local q = queries.new(c, ['job=~"$job"', 'instance=~"$instance"']);
  local sel = q.sel;
  local port = 'port=~"$port"';
  local k = c.dashboardTopK;
  local portLink = g.links([common.seriesPortLink(c)]);
  // ALERTS series keep the labels of the alert, not the selector: alerts without a job or an
  // instance label (a missing target) must show too, hence the `|` (also matches "no label").
  local alerts = 'ALERTS{alertname=~"Tcpstate.*", alertstate="firing", job=~"$job|", instance=~"$instance|"}';

  local perPort(state, extra='') = 'sum by (instance, role, port) (tcpstate_port_sockets%s)' % sel(std.join(', ', ['state="%s"' % state, port] + (if extra == '' then [] else [extra])));
  // Recording rules of mixin/rules (the same ratios the alerts read).
  local exclusiveShare = 'max by (instance) (instance_state:tcpstate_ephemeral_ports_held:ratio%s)' % sel('state="exclusive"');
  local memoryRatio = 'max by (instance) (instance:tcpstate_sockstat_memory_bytes:ratio%s)' % sel();
  local retransmitRatio = 'max by (instance) (instance:tcpstate_tcp_retransmitted_segments:ratio_rate5m%s)' % sel();
  local ephemeralThresholds = g.thresholds([{ value: c.ephemeralPorts.pressure, color: 'orange' }, { value: c.ephemeralPorts.exhaustion, color: 'red' }]);

  local whatAlerts = g.row('What alerts', [
    g.stat(
      'Firing Tcpstate alerts',
      "Tcpstate alerts firing now for the selected jobs and instances (from the ALERTS series of the Prometheus that evaluates the mixin's rules), plus alerts with no instance such as TcpstateExporterAbsent. 0 when none fires.",
      'short',
      [g.instant('count(%s) or vector(0)' % alerts, 'firing')],
      w=4,
      h=8,
    ) + g.thresholds([{ value: 1, color: 'orange' }]),
    g.table(
      'Firing alerts',
      "Each firing Tcpstate alert with its labels (port, destination, role where the alert names one). Click a port for the drill-down dashboard; the runbook is in the alert's runbook_url annotation.",
      ['alertname', 'severity', 'instance'],
      [{ name: 'Firing', unit: 'short', expr: alerts, hidden: true }],
      w=20,
      h=8,
      hide=['__name__', 'alertstate'],
    ) + g.noValue('No Tcpstate alert firing') + g.columnLinks('port', [common.rowPortLink(c)]),
    g.timeseries(
      'Listen overflows and drops',
      'Connection attempts dropped by listening sockets per second, per instance (TcpExt ListenOverflows: the accept queue was full; ListenDrops: dropped for any reason, overflows included; with syncookies on, mostly the same). TcpstateListenQueueOverflow fires above the dashed line; the Listen queues row shows which port filled up.',
      'ops',
      [
        g.query(q.sumRate('instance', 'tcpstate_tcpext_listen_overflows_total'), '{{instance}} overflows (accept queue full)'),
        g.query(q.sumRate('instance', 'tcpstate_tcpext_listen_drops_total'), '{{instance}} drops (any reason)'),
      ],
      w=8,
    ) + g.thresholds([{ value: c.listenOverflow.perSecond, color: 'orange' }]) + g.thresholdLines,
    g.timeseries(
      'Retransmitted share of sent segments',
      'Segments retransmitted over segments sent (Tcp RetransSegs / OutSegs) over 5 minutes, per instance: loss or congestion on the paths this host talks over. TcpstateRetransmitRatioHigh fires above the dashed line when enough segments are sent; 0 on an idle host.',
      'percentunit',
      [g.query(retransmitRatio, '{{instance}}')],
      w=8,
    ) + g.thresholds([{ value: c.retransmits.ratio, color: 'orange' }]) + g.thresholdLines + g.min(0),
    g.barGauge(
      'CLOSE_WAIT sockets, busiest ports',
      'The %d ports with the most CLOSE_WAIT sockets now: the peer closed and the application on this host has not. role="server" is a local listening port, role="client" a remote port this host connected to. TcpstateCloseWaitLeak fires at %d sockets that do not drain; click a bar for the drill-down.' % [k, c.closeWait.sockets],
      'short',
      [g.instant('topk(%d, %s)' % [k, perPort('close_wait')], '{{instance}} {{role}} {{port}}')],
      w=8,
    ) + g.thresholds([{ value: c.closeWait.sockets, color: 'red' }]) + portLink,
    g.barGauge(
      "Worst destination's share of the ephemeral range",
      'Per instance (the %d highest), the share of usable ephemeral ports that connect() to the busiest destination cannot use: ports held toward it, TIME_WAIT included unless tcp_tw_reuse lets connect() reuse them. At 100 %% connect() to it fails with EADDRNOTAVAIL. TcpstateEphemeralPortPressure fires at %g %%, TcpstateEphemeralPortExhaustion at %g %%.' % [k, c.ephemeralPorts.pressure * 100, c.ephemeralPorts.exhaustion * 100],
      'percentunit',
      [g.instant('topk(%d, max by (instance) (tcpstate_ephemeral_port_worst_destination_ratio%s))' % [k, sel()], '{{instance}}')],
      w=8,
    ) + ephemeralThresholds + g.min(0) + g.max(1),
    g.barGauge(
      'Ephemeral ports held exclusively (bind before connect)',
      'Per instance (the %d highest), ephemeral ports held by exactly one non-TIME_WAIT socket over the usable ports. Sockets that bind() before connect() hold their port for every destination, so near 100 %% every new connect() or bind(0) fails (EADDRINUSE / EADDRNOTAVAIL) while the per-destination share stays low. TcpstateEphemeralPortExhaustion fires at %g %%.' % [k, c.ephemeralPorts.exhaustion * 100],
      'percentunit',
      [g.instant('topk(%d, %s)' % [k, exclusiveShare], '{{instance}}')],
      w=8,
    ) + ephemeralThresholds + g.min(0) + g.max(1),
    g.barGauge(
      'TCP memory against the pressure threshold',
      "Per instance (the %d highest), memory in TCP socket buffers (sockstat mem) over net.ipv4.tcp_mem's pressure threshold (tcp_mem[1]). At 100 %% the kernel enters memory pressure and shrinks buffers; at tcp_mem[2] it refuses memory and aborts connections (TcpstateMemoryPressure, TcpstateAbortOnMemory)." % k,
      'percentunit',
      [g.instant('topk(%d, %s)' % [k, memoryRatio], '{{instance}}')],
      w=8,
    ) + g.thresholds([{ value: 0.8, color: 'orange' }, { value: 1, color: 'red' }]) + g.min(0),
  ]);

  local states = g.row('Sockets by state', [
    g.timeseries(
      'Sockets by state',
      'Every TCP socket of the selected instances by state, both address families, stacked. A growing CLOSE_WAIT band is an application not closing; SYN_SENT, a destination not answering; SYN_RECV, a SYN flood or a slow accept path.',
      'short',
      [g.query('sum by (instance, state) (instance_state:tcpstate_sockets:sum%s)' % sel(), '{{instance}} {{state}}')],
      w=12,
      stack=true,
    ),
    g.timeseries(
      'TIME_WAIT against tcp_max_tw_buckets',
      'TIME_WAIT sockets over net.ipv4.tcp_max_tw_buckets, per instance. At 100 % the kernel stops creating TIME_WAIT sockets (TCPTimeWaitOverflow, in Kernel counters): closed connections skip TIME_WAIT, nothing is refused. A level to watch, not an alert.',
      'percentunit',
      [g.query('max by (instance) (instance:tcpstate_sockstat_time_wait_sockets:ratio%s)' % sel(), '{{instance}}')],
      w=6,
    ) + g.thresholds([{ value: 1, color: 'orange' }]) + g.thresholdLines + g.min(0),
    g.timeseries(
      'Orphaned sockets against tcp_max_orphans',
      'Sockets no process holds any more (closed, still finishing in FIN_WAIT/LAST_ACK/CLOSING) over net.ipv4.tcp_max_orphans, per instance. Above the limit the kernel resets new orphans ("too many orphaned sockets"). TcpstateOrphansNearLimit fires above the dashed line.',
      'percentunit',
      [g.query('max by (instance) (instance:tcpstate_sockstat_orphan_sockets:ratio%s)' % sel(), '{{instance}}')],
      w=6,
    ) + g.thresholds([{ value: c.orphans.ratio, color: 'orange' }, { value: 1, color: 'red' }]) + g.thresholdLines + g.min(0),
  ]);

  local ports = g.row('Ports', [
    g.timeseries(
      'CLOSE_WAIT per port',
      'CLOSE_WAIT sockets per instance, role and port: role="server" by local listening port, role="client" by remote port (ports beyond the exporter\'s caps are summed in port="other"). Click a series for the port\'s drill-down.',
      'short',
      [g.query(perPort('close_wait'), '{{instance}} {{role}} {{port}}')],
      w=12,
    ) + g.thresholds([{ value: c.closeWait.sockets, color: 'red' }]) + g.thresholdLines + portLink,
    g.timeseries(
      'ESTABLISHED per port',
      'ESTABLISHED connections per instance, role and port (server: local listening port; client: remote port).',
      'short',
      [g.query(perPort('established'), '{{instance}} {{role}} {{port}}')],
      w=12,
    ) + portLink,
    g.timeseries(
      'TIME_WAIT per port',
      'TIME_WAIT sockets per instance, role and port: the side that closed first keeps them for 60 s (fixed in Linux). On client ports each holds an ephemeral port toward that remote port.',
      'short',
      [g.query(perPort('time_wait'), '{{instance}} {{role}} {{port}}')],
      w=8,
    ) + portLink,
    g.timeseries(
      'SYN_SENT per remote port',
      'Outgoing connections still waiting for the SYN-ACK, per instance and remote port: a pile-up means the destination is down or black-holed. TcpstateConnectStalled fires above the dashed line.',
      'short',
      [g.query(perPort('syn_sent', 'role="client"'), '{{instance}} {{role}} {{port}}')],
      w=8,
    ) + g.thresholds([{ value: c.connectStalled.synSentSockets, color: 'orange' }]) + g.thresholdLines + portLink,
    g.timeseries(
      'SYN_RECV per listening port',
      'Half-open incoming connections (SYN received, handshake not finished) per instance and listening port: a SYN flood, or clients that vanish mid-handshake. With syncookies the kernel stops queueing them (SYN cookies in Kernel counters). TcpstateSynFlood names the port above the dashed line.',
      'short',
      [g.query(perPort('syn_recv', 'role="server"'), '{{instance}} {{role}} {{port}}')],
      w=8,
    ) + g.thresholds([{ value: c.synFlood.synRecvSockets, color: 'orange' }]) + g.thresholdLines + portLink,
    g.table(
      'Sockets per port and state',
      'Sockets now per instance, role and port, one column per state (role="server": local listening port; role="client": remote port). Sorted by CLOSE_WAIT; click a port for the drill-down.',
      ['instance', 'role', 'port'],
      [{ name: s.name, unit: 'short', expr: perPort(s.label) } for s in common.states],
      h=10,
    ) + g.sortBy('CLOSE_WAIT') + g.columnLinks('port', [common.rowPortLink(c)]),
  ]);

  local listen = g.row('Listen queues', [
    g.timeseries(
      'Accept queue fill per port',
      'Connections waiting to be accepted over what the queue holds (backlog + 1: the kernel drops only when more than backlog are queued), for the fullest listening socket of each port. 100 % means the next connection is dropped. Sampled every collection: bursts between samples show only in Listen overflows.',
      'percentunit',
      [g.query('max by (instance, port) (tcpstate_listen_queue_max_fill_ratio%s)' % sel(port), '{{instance}} {{port}}')],
      w=12,
    ) + g.thresholds([{ value: 1, color: 'red' }]) + g.thresholdLines + g.min(0) + g.links([common.seriesPortLink(c) { url: common.portURL(c, '${__field.labels.instance}', '${__field.labels.port}', 'server') }]),
    g.timeseries(
      'SYN cookies sent',
      "SYN cookies sent per second, per instance: a listener's SYN queue overflowed (tcp_max_syn_backlog) and the kernel answered without keeping state. TcpstateSynFlood fires above the dashed line.",
      'ops',
      [g.query(q.sumRate('instance', 'tcpstate_tcpext_syncookies_sent_total'), '{{instance}}')],
      w=12,
    ) + g.thresholds([{ value: c.synFlood.cookiesPerSecond, color: 'orange' }]) + g.thresholdLines,
    g.table(
      'Listeners, queues and backlogs',
      "Per instance and listening port: listening sockets (several with SO_REUSEPORT or per-address binds), connections waiting in their accept queues, the configured backlogs (summed over the listeners; min(listen() backlog, somaxconn)), what the queues hold before dropping (backlog + 1 per listener), and the fullest listener's fill.",
      ['instance', 'port'],
      [
        { name: 'Listeners', unit: 'short', expr: 'sum by (instance, port) (tcpstate_listeners%s)' % sel(port) },
        { name: 'Waiting to be accepted', unit: 'short', expr: 'sum by (instance, port) (tcpstate_listen_queue_length%s)' % sel(port) },
        { name: 'Backlog', unit: 'short', expr: 'sum by (instance, port) (tcpstate_listen_queue_backlog%s)' % sel(port) },
        { name: 'Holds before dropping', unit: 'short', expr: 'sum by (instance, port) (tcpstate_listen_queue_backlog%s) + sum by (instance, port) (tcpstate_listeners%s)' % [sel(port), sel(port)] },
        { name: 'Fullest listener', unit: 'percentunit', expr: 'max by (instance, port) (tcpstate_listen_queue_max_fill_ratio%s)' % sel(port) },
      ],
    ) + g.sortBy('Fullest listener') + g.columnLinks('port', [common.rowPortLink(c, role='server')]),
  ]);

  local keepalive = g.row('Keepalive', [
    common.keepaliveTimeStat(c, q),
    common.natTimeoutsText(c),
    g.table(
      'Keepalive settings',
      'The keepalive sysctls per instance: idle time before the first probe, time between probes, unanswered probes before the connection is dropped, and the resulting worst time to notice a dead peer (time + intvl x probes). The last one says how fast a dead peer is noticed, not whether a NAT keeps the connection: that is tcp_keepalive_time alone.',
      ['instance'],
      [
        { name: 'tcp_keepalive_time', unit: 's', expr: 'max by (instance) (tcpstate_sysctl_keepalive_time_seconds%s)' % sel() },
        { name: 'tcp_keepalive_intvl', unit: 's', expr: 'max by (instance) (tcpstate_sysctl_keepalive_interval_seconds%s)' % sel() },
        { name: 'tcp_keepalive_probes', unit: 'short', expr: 'max by (instance) (tcpstate_sysctl_keepalive_probes%s)' % sel() },
        { name: 'Dead peer noticed after', unit: 's', expr: 'max by (instance) (tcpstate_keepalive_dead_peer_detection_seconds%s)' % sel() },
      ],
      w=8,
      h=6,
    ),
    g.timeseries(
      'ESTABLISHED connections without keepalive',
      'Share of ESTABLISHED connections with no keepalive timer, per instance: if the peer vanishes (host gone, NAT forgot the connection) they stay open until the application writes. 0 with no connections. Connections whose timer is hidden by a retransmit timer count as covered.',
      'percentunit',
      [g.query('sum by (instance) (tcpstate_established_keepalive_sockets%s) / clamp_min(sum by (instance) (tcpstate_established_keepalive_sockets%s), 1)' % [sel('keepalive="not_armed"'), sel()], '{{instance}}')],
      w=8,
    ) + g.min(0) + g.max(1),
    g.table(
      'Keepalive coverage per port',
      'ESTABLISHED connections per instance, role and port by keepalive timer: server ports by local listening port, client ports by remote port (a client port without keepalive is usually a connection pool that never notices a dead peer: TcpstateKeepaliveOff, above %g %% with at least %d connections). "Unknown": a retransmit timer hides the keepalive timer.' % [c.keepaliveOff.ratio * 100, c.keepaliveOff.minSockets],
      ['instance', 'role', 'port'],
      [
        { name: 'Armed', unit: 'short', expr: 'sum by (instance, role, port) (tcpstate_port_established_keepalive_sockets%s)' % sel('keepalive="armed", ' + port) },
        { name: 'Not armed', unit: 'short', expr: 'sum by (instance, role, port) (tcpstate_port_established_keepalive_sockets%s)' % sel('keepalive="not_armed", ' + port) },
        { name: 'Unknown', unit: 'short', expr: 'sum by (instance, role, port) (tcpstate_port_established_keepalive_sockets%s)' % sel('keepalive="unknown", ' + port) },
        { name: 'Share not armed', unit: 'percentunit', expr: 'max by (instance, role, port) (instance_role_port_keepalive:tcpstate_port_established_keepalive_sockets:ratio%s)' % sel('keepalive="not_armed", ' + port) },
      ],
      w=16,
    ) + g.sortBy('Not armed') + g.columnLinks('port', [common.rowPortLink(c)]),
  ]);

  local ephemeral = g.row('Ephemeral ports', [
    g.timeseries(
      "Worst destination's share of the ephemeral range",
      'Per instance, the share of usable ephemeral ports connect() to the busiest destination cannot use (held toward it, TIME_WAIT included unless tcp_tw_reuse applies). Dashed: TcpstateEphemeralPortPressure and TcpstateEphemeralPortExhaustion.',
      'percentunit',
      [g.query('max by (instance) (tcpstate_ephemeral_port_worst_destination_ratio%s)' % sel(), '{{instance}}')],
      w=8,
    ) + ephemeralThresholds + g.thresholdLines + g.min(0),
    g.timeseries(
      'Ephemeral ports held exclusively',
      'Per instance, ports held by exactly one non-TIME_WAIT socket over the usable ports: what bind() before connect() uses up for every destination. Dashed: TcpstateEphemeralPortExhaustion.',
      'percentunit',
      [g.query(exclusiveShare, '{{instance}}')],
      w=8,
    ) + ephemeralThresholds + g.thresholdLines + g.min(0),
    g.timeseries(
      'Ephemeral ports by holder',
      'Distinct ports of net.ipv4.ip_local_port_range per instance: held exclusively (one non-TIME_WAIT socket), shared (several sockets toward different destinations), held only by TIME_WAIT sockets, free (what bind(0) can still pick), against the usable ports (the range less reserved ports and listeners).',
      'short',
      [
        g.query('sum by (instance, state) (tcpstate_ephemeral_ports_held%s)' % sel(), '{{instance}} held {{state}}'),
        g.query('sum by (instance) (tcpstate_ephemeral_ports_free%s)' % sel(), '{{instance}} free'),
        g.query('sum by (instance) (tcpstate_ephemeral_ports_usable%s)' % sel(), '{{instance}} usable'),
        g.query('sum by (instance) (tcpstate_ephemeral_ports_in_use%s)' % sel(), '{{instance}} in use by any socket'),
      ],
      w=8,
    ) + g.min(0),
    g.table(
      'Busiest destinations',
      'The destinations (remote address and port) holding the most ephemeral ports that connect() toward them cannot reuse, per instance: ports held in TIME_WAIT, held by other states, and the share of the usable range connect() to that destination cannot use (TIME_WAIT counts unless tcp_tw_reuse applies: 1 any destination, 2 loopback only, with tcp_timestamps on). Click a remote port for its drill-down.',
      ['instance', 'rank', 'family', 'remote_address', 'remote_port'],
      [
        { name: 'Held in TIME_WAIT', unit: 'short', expr: 'sum by (instance, rank, family, remote_address, remote_port) (tcpstate_ephemeral_port_destination_ports%s)' % sel('state="time_wait"') },
        { name: 'Held in other states', unit: 'short', expr: 'sum by (instance, rank, family, remote_address, remote_port) (tcpstate_ephemeral_port_destination_ports%s)' % sel('state="other"') },
        { name: 'Share connect() cannot use', unit: 'percentunit', expr: 'max by (instance, rank, family, remote_address, remote_port) (tcpstate_ephemeral_port_destination_usage_ratio%s)' % sel() },
      ],
      w=16,
    ) + g.sortBy('Share connect() cannot use') + g.columnLinks('remote_port', [common.rowPortLink(c, 'remote_port', 'client')]),
    g.timeseries(
      'Destinations tracked',
      'Distinct destinations holding ephemeral ports per instance, and how many ports any per-destination count may be short by (0 unless the host has more distinct destinations than the exporter tracks).',
      'short',
      [
        g.query('sum by (instance) (tcpstate_ephemeral_port_destinations%s)' % sel(), '{{instance}} destinations'),
        g.query('max by (instance) (tcpstate_ephemeral_port_count_error%s)' % sel(), '{{instance}} count error'),
      ],
      w=8,
    ),
  ]);

  local rateSeries(title, description, metrics, w=8, unit='ops') =
    g.timeseries(title, description, unit, [g.query(q.sumRate('instance', m.metric), '{{instance}} ' + m.legend) for m in metrics], w=w);

  local counters = g.row('Kernel counters', [
    rateSeries('Connections opened', 'Connections opened per second, per instance: active (this host connected: ActiveOpens), passive (accepted from a listener: PassiveOpens), and attempts that failed (AttemptFails).', [
      { metric: 'tcpstate_tcp_active_opens_total', legend: 'active' },
      { metric: 'tcpstate_tcp_passive_opens_total', legend: 'passive' },
      { metric: 'tcpstate_tcp_attempt_fails_total', legend: 'failed' },
    ]),
    rateSeries('Segments', 'Segments per second, per instance: received (InSegs), sent (OutSegs, retransmissions excluded), retransmitted (RetransSegs) and received in error (InErrs).', [
      { metric: 'tcpstate_tcp_in_segments_total', legend: 'received' },
      { metric: 'tcpstate_tcp_out_segments_total', legend: 'sent' },
      { metric: 'tcpstate_tcp_retransmitted_segments_total', legend: 'retransmitted' },
      { metric: 'tcpstate_tcp_in_errors_total', legend: 'received in error' },
    ]),
    rateSeries('Resets', 'Per second, per instance: segments sent with RST (OutRsts, segments) and ESTABLISHED or CLOSE_WAIT connections reset (EstabResets, connections). Different units of count: compare each with itself, never add them.', [
      { metric: 'tcpstate_tcp_out_resets_total', legend: 'RST segments sent' },
      { metric: 'tcpstate_tcp_established_resets_total', legend: 'established connections reset' },
    ]),
    rateSeries('Aborts', 'Connections the kernel aborted per second, per instance: on retransmission or keepalive timeout, on close with unread data, on data after close, and for lack of memory (TcpstateAbortOnMemory).', [
      { metric: 'tcpstate_tcpext_abort_on_timeout_total', legend: 'timeout' },
      { metric: 'tcpstate_tcpext_abort_on_close_total', legend: 'close with unread data' },
      { metric: 'tcpstate_tcpext_abort_on_data_total', legend: 'data after close' },
      { metric: 'tcpstate_tcpext_abort_on_memory_total', legend: 'memory' },
    ]),
    rateSeries('SYN retransmits and SYN cookies', 'Per second, per instance: SYN and SYN-ACK retransmissions, SYN cookies sent (a SYN queue overflowed), valid cookies received, invalid cookies received.', [
      { metric: 'tcpstate_tcpext_syn_retransmits_total', legend: 'SYN retransmits' },
      { metric: 'tcpstate_tcpext_syncookies_sent_total', legend: 'cookies sent' },
      { metric: 'tcpstate_tcpext_syncookies_received_total', legend: 'cookies received' },
      { metric: 'tcpstate_tcpext_syncookies_failed_total', legend: 'cookies failed' },
    ]),
    rateSeries('TIME_WAIT overflows', 'Closing sockets per second, per instance, that skipped TIME_WAIT because tcp_max_tw_buckets was reached (TCPTimeWaitOverflow; recent kernels log nothing for it). Nothing is refused; a late duplicate segment could reach a new connection on the same ports. TcpstateTimeWaitOverflow (info).', [
      { metric: 'tcpstate_tcpext_time_wait_overflow_total', legend: 'skipped TIME_WAIT' },
    ]),
    g.timeseries(
      'TCP memory',
      'Memory in TCP socket buffers per instance (sockstat mem, pages x page size) against net.ipv4.tcp_mem: below min the kernel does not regulate, above pressure it shrinks buffers, at max it refuses memory (TcpstateMemoryPressure, TcpstateAbortOnMemory).',
      'bytes',
      [
        g.query('sum by (instance) (tcpstate_sockstat_memory_bytes%s)' % sel(), '{{instance}} in use'),
        g.query('max by (instance) (tcpstate_sysctl_mem_min_bytes%s)' % sel(), '{{instance}} tcp_mem min'),
        g.query('max by (instance) (tcpstate_sysctl_mem_pressure_bytes%s)' % sel(), '{{instance}} tcp_mem pressure'),
        g.query('max by (instance) (tcpstate_sysctl_mem_max_bytes%s)' % sel(), '{{instance}} tcp_mem max'),
      ],
      w=8,
    ) + g.min(0),
    rateSeries('TCP memory pressure entered', 'Times per second, per instance, the kernel entered TCP memory pressure (TCPMemoryPressures): socket buffers are being shrunk. TcpstateMemoryPressure fires on it.', [
      { metric: 'tcpstate_tcpext_memory_pressures_total', legend: 'entered pressure' },
    ]),
    rateSeries('Time under TCP memory pressure', 'Share of time each instance spent under TCP memory pressure (TCPMemoryPressuresChrono, seconds per second).', [
      { metric: 'tcpstate_tcpext_memory_pressure_seconds_total', legend: 'under pressure' },
    ], unit='percentunit'),
    g.timeseries(
      'Queued bytes on ESTABLISHED connections',
      "Bytes waiting in the queues of ESTABLISHED connections, summed per instance. Receive: arrived and not yet read by the application (a slow or stuck reader on this host). Send: written by the application and not yet acknowledged by the peer (a slow peer or a congested path). CLOSE_WAIT sockets are left out on purpose: the peer's FIN counts as one byte of their receive queue, so every leaked socket would look like a slow reader.",
      'bytes',
      [
        g.query('sum by (instance) (tcpstate_receive_queue_bytes%s)' % sel('state="established"'), '{{instance}} receive (unread)'),
        g.query('sum by (instance) (tcpstate_send_queue_bytes%s)' % sel('state="established"'), '{{instance}} send (unacknowledged)'),
      ],
      w=8,
    ) + g.min(0),
    g.timeseries(
      'Kernel socket accounting',
      'From /proc/net/sockstat{,6} and /proc/net/snmp per instance: TCP sockets in use per family (TIME_WAIT excluded), orphans, TIME_WAIT, allocated, and connections the kernel counts as established (CurrEstab: ESTABLISHED and CLOSE_WAIT).',
      'short',
      [
        g.query('sum by (instance, family) (tcpstate_sockstat_sockets_in_use%s)' % sel(), '{{instance}} in use {{family}}'),
        g.query('sum by (instance) (tcpstate_sockstat_orphan_sockets%s)' % sel(), '{{instance}} orphans'),
        g.query('sum by (instance) (tcpstate_sockstat_time_wait_sockets%s)' % sel(), '{{instance}} TIME_WAIT'),
        g.query('sum by (instance) (tcpstate_sockstat_allocated_sockets%s)' % sel(), '{{instance}} allocated'),
        g.query('sum by (instance) (tcpstate_tcp_current_established%s)' % sel(), '{{instance}} established (CurrEstab)'),
      ],
      w=8,
    ),
  ]);

  // One column per sysctl: [metric suffix, column name, unit]. Counts and port numbers are shown
  // exactly ('none'), durations in seconds, tcp_mem in bytes.
  local sysctls = [
    ['keepalive_time_seconds', 'tcp_keepalive_time', 's'],
    ['keepalive_interval_seconds', 'tcp_keepalive_intvl', 's'],
    ['keepalive_probes', 'tcp_keepalive_probes', 'none'],
    ['fin_timeout_seconds', 'tcp_fin_timeout', 's'],
    ['tw_reuse', 'tcp_tw_reuse', 'none'],
    ['timestamps', 'tcp_timestamps', 'none'],
    ['max_tw_buckets', 'tcp_max_tw_buckets', 'none'],
    ['max_orphans', 'tcp_max_orphans', 'none'],
    ['max_syn_backlog', 'tcp_max_syn_backlog', 'none'],
    ['somaxconn', 'somaxconn', 'none'],
    ['syncookies', 'tcp_syncookies', 'none'],
    ['retries2', 'tcp_retries2', 'none'],
    ['local_port_range_min', 'ip_local_port_range min', 'none'],
    ['local_port_range_max', 'ip_local_port_range max', 'none'],
    ['mem_min_bytes', 'tcp_mem min', 'bytes'],
    ['mem_pressure_bytes', 'tcp_mem pressure', 'bytes'],
    ['mem_max_bytes', 'tcp_mem max', 'bytes'],
  ];
  local settings = g.row('Kernel settings', [
    g.table(
      'TCP sysctls',
      'The sysctls that decide how long sockets live and how many fit, per instance (net.ipv4.tcp_*, net.core.somaxconn, net.ipv4.ip_local_port_range). tcp_tw_reuse: 0 off, 1 on, 2 loopback only (needs tcp_timestamps); tcp_syncookies: 0 off, 1 on overflow, 2 always. somaxconn and the port range are per network namespace.',
      ['instance'],
      [{ name: s[1], unit: s[2], expr: 'max by (instance) (tcpstate_sysctl_%s%s)' % [s[0], sel()] } for s in sysctls],
      h=6,
    ),
  ]);

  local traffic = g.row('Connections and TCP health per port (opt-in collectors)', [
    g.timeseries(
      'Connections closed per second',
      'Needs --collector.connections. TCP connections closed per second by instance, role and port, from the kernel\'s socket destroy events: each side the host holds once (role="server": local port of the service; role="client": remote port). Short-lived connections a poll never sees are counted too.',
      'ops',
      [g.query('sum by (instance, role, port) (%s)' % q.rate('tcpstate_port_closed_connections_total', port), '{{instance}} {{role}} {{port}}')],
      w=8,
    ) + g.noValue('needs --collector.connections') + portLink,
    g.timeseries(
      'Data bytes of closed connections',
      'Needs --collector.connections. Payload bytes per second that the connections closing on each port moved, by direction (SYN and FIN not counted), counted when they close: a long-lived connection adds its bytes at its end.',
      'Bps',
      [g.query('sum by (instance, role, port, direction) (%s)' % q.rate('tcpstate_port_closed_connection_bytes_total', port), '{{instance}} {{role}} {{port}} {{direction}}')],
      w=8,
    ) + g.noValue('needs --collector.connections') + portLink,
    g.timeseries(
      'Segments and retransmissions of closed connections',
      'Needs --collector.connections. Segments per second the closing connections sent and received (handshake, FIN, ACKs and retransmissions included), and those they retransmitted. TcpstatePortRetransmitRatioHigh fires on retransmitted over sent, per server port.',
      'ops',
      [
        g.query('sum by (instance, role, port, direction) (%s)' % q.rate('tcpstate_port_closed_connection_segments_total', port), '{{instance}} {{role}} {{port}} {{direction}}'),
        g.query('sum by (instance, role, port) (%s)' % q.rate('tcpstate_port_closed_connection_retransmitted_segments_total', port), '{{instance}} {{role}} {{port}} retransmitted'),
      ],
      w=8,
    ) + g.noValue('needs --collector.connections') + portLink,
    g.timeseries(
      'RTT of ESTABLISHED connections (median, 99th percentile)',
      'Needs --collector.tcpinfo. The smoothed round-trip time (tcpi_rtt) of the ESTABLISHED connections on each port at the last collection: the median and the 99th percentile, interpolated within the histogram buckets (100 µs to 10 s).',
      's',
      [
        g.query('histogram_quantile(0.5, sum by (instance, role, port, le) (tcpstate_port_rtt_seconds_bucket%s))' % sel(port), '{{instance}} {{role}} {{port}} p50'),
        g.query('histogram_quantile(0.99, sum by (instance, role, port, le) (tcpstate_port_rtt_seconds_bucket%s))' % sel(port), '{{instance}} {{role}} {{port}} p99'),
      ],
      w=8,
    ) + g.noValue('needs --collector.tcpinfo') + portLink,
    g.timeseries(
      'Connections in retransmission backoff',
      'Needs --collector.tcpinfo. ESTABLISHED connections whose retransmission timer fired with nothing acknowledged since, per role and port: a peer or path dropping what this host sends. TcpstatePeerBlackholed fires at the dashed line.',
      'short',
      [g.query('sum by (instance, role, port) (tcpstate_port_retransmitting_sockets%s)' % sel(port), '{{instance}} {{role}} {{port}}')],
      w=8,
    ) + g.thresholds([{ value: c.peerBlackholed.sockets, color: 'orange' }]) + g.thresholdLines + g.noValue('needs --collector.tcpinfo') + portLink,
    g.timeseries(
      'Socket destroy events lost',
      'Needs --collector.connections. Destroy events per second the kernel dropped because the exporter\'s receive buffer was full: closed connections missing from the panels on the left. Raise --collector.connections.receive-buffer (and net.core.rmem_max) when this is not zero.',
      'ops',
      [g.query('sum by (instance) (%s)' % q.rate('tcpstate_connection_events_lost_total'), '{{instance}} lost')],
      w=8,
    ) + g.noValue('needs --collector.connections'),
  ]);

  local attribution = g.row('Per process and per pod (opt-in collectors)', [
    g.barGauge(
      'Processes holding CLOSE_WAIT sockets',
      'Needs --collector.processes. The %d processes with the most CLOSE_WAIT sockets, per instance: applications that do not close connections their peers closed. pid is empty unless --collector.processes.pid.' % k,
      'short',
      [g.instant('topk(%d, sum by (instance, process, pid) (tcpstate_process_sockets%s))' % [k, sel('state="close_wait"')], '{{instance}} {{process}} {{pid}}')],
    ) + g.noValue('needs --collector.processes'),
    g.table(
      'Top processes by state',
      'Needs --collector.processes. Per instance, the processes with the most sockets in each state (the exporter keeps the top few per state), as of the last process scan.',
      ['instance', 'process', 'pid', 'state'],
      [{ name: 'Sockets', unit: 'short', expr: 'sum by (instance, process, pid, state) (tcpstate_process_sockets%s)' % sel() }],
      w=8,
    ) + g.sortBy('Sockets') + g.noValue('needs --collector.processes'),
    g.table(
      'Sockets no process holds',
      'Needs --collector.processes. Sockets with an inode that no readable descriptor table holds, per instance and state: orphans, sockets of processes the exporter may not read, or opened after the scan began.',
      ['instance', 'state'],
      [{ name: 'Sockets', unit: 'short', expr: 'sum by (instance, state) (tcpstate_process_unattributed_sockets%s)' % sel() }],
      w=8,
    ) + g.sortBy('Sockets') + g.noValue('needs --collector.processes'),
    g.table(
      'Process scan',
      'Needs --collector.processes. Per instance: when the last process scan ran and how old the process panels are, how long it took, the processes it read, and those whose descriptors it could not read (missing CAP_SYS_PTRACE / CAP_DAC_READ_SEARCH).',
      ['instance'],
      [
        { name: 'Last scan', unit: 'dateTimeAsIso', expr: 'max by (instance) (tcpstate_process_scan_timestamp_seconds%s) * 1000' % sel() },
        { name: 'Age', unit: 's', expr: 'time() - max by (instance) (tcpstate_process_scan_timestamp_seconds%s)' % sel() },
        { name: 'Duration', unit: 's', expr: 'max by (instance) (tcpstate_process_scan_duration_seconds%s)' % sel() },
        { name: 'Processes read', unit: 'short', expr: 'max by (instance) (tcpstate_process_scan_processes%s)' % sel() },
        { name: 'Unreadable', unit: 'short', expr: 'max by (instance) (tcpstate_process_scan_unreadable_processes%s)' % sel() },
      ],
      w=12,
      h=6,
    ) + g.noValue('needs --collector.processes'),
    g.timeseries(
      'Namespaces',
      'Needs --collector.netns. Network namespaces per instance by outcome (collected, skipped beyond --collector.netns.max, failed), and processes whose namespace could not be read.',
      'short',
      [
        g.query('sum by (instance, outcome) (tcpstate_netns_namespaces%s)' % sel(), '{{instance}} {{outcome}}'),
        g.query('sum by (instance) (tcpstate_netns_unreadable_processes%s)' % sel(), '{{instance}} unreadable processes'),
        g.query('sum by (instance, outcome) (tcpstate_netns_connection_events_namespaces%s)' % sel(), '{{instance}} closed connections {{outcome}}'),
      ],
      w=12,
    ) + g.noValue('needs --collector.netns'),
    g.table(
      'Connections closed per namespace',
      'Needs --collector.netns and --collector.connections (and CAP_SYS_ADMIN for namespaces other than the exporter\'s own). Per second over the dashboard\'s rate interval, the %d namespaces closing the most connections: connections, payload bytes each way, segments sent, segments retransmitted, and destroy events lost (counts missing from the other columns).' % (2 * k),
      ['instance', 'netns', 'pod_uid'],
      [
        { name: 'Closed /s', unit: 'ops', expr: 'topk(%d, sum by (instance, netns, pod_uid) (%s))' % [2 * k, q.rate('tcpstate_netns_closed_connections_total')] },
        { name: 'Sent', unit: 'Bps', expr: 'sum by (instance, netns, pod_uid) (%s)' % q.rate('tcpstate_netns_closed_connection_bytes_total', 'direction="sent"') },
        { name: 'Received', unit: 'Bps', expr: 'sum by (instance, netns, pod_uid) (%s)' % q.rate('tcpstate_netns_closed_connection_bytes_total', 'direction="received"') },
        { name: 'Segments sent /s', unit: 'ops', expr: 'sum by (instance, netns, pod_uid) (%s)' % q.rate('tcpstate_netns_closed_connection_segments_total', 'direction="sent"') },
        { name: 'Retransmitted /s', unit: 'ops', expr: 'sum by (instance, netns, pod_uid) (%s)' % q.rate('tcpstate_netns_closed_connection_retransmitted_segments_total') },
        { name: 'Lost events /s', unit: 'ops', expr: 'sum by (instance, netns, pod_uid) (%s)' % q.rate('tcpstate_netns_connection_events_lost_total') },
      ],
      w=24,
    ) + g.sortBy('Closed /s') + g.noValue('needs --collector.netns and --collector.connections'),
    g.barGauge(
      'Pods with the most CLOSE_WAIT sockets',
      'Needs --collector.netns. The %d network namespaces with the most CLOSE_WAIT sockets, per instance, with their pod UID (join with kube_pod_info on uid for the pod name).' % k,
      'short',
      [g.instant('topk(%d, sum by (instance, netns, pod_uid) (tcpstate_netns_sockets%s))' % [k, sel('state="close_wait"')], '{{instance}} {{pod_uid}} {{netns}}')],
    ) + g.noValue('needs --collector.netns'),
    g.table(
      'Sockets per namespace and port',
      'Needs --collector.netns and --collector.netns.ports. The %d largest counts of sockets per instance, namespace, role, port and state (each namespace reports its busiest ports).' % (2 * k),
      ['instance', 'netns', 'pod_uid', 'role', 'port', 'state'],
      [{ name: 'Sockets', unit: 'short', expr: 'topk(%d, sum by (instance, netns, pod_uid, role, port, state) (tcpstate_netns_port_sockets%s))' % [2 * k, sel()] }],
      w=16,
    ) + g.sortBy('Sockets') + g.noValue('needs --collector.netns.ports'),
  ], collapsed=true);

  local health = g.row('Exporter health', [
    g.stat(
      'Exporter up',
      'Whether Prometheus scraped each selected exporter (up) at its last scrape. A target missing from discovery has no up series at all: TcpstateExporterAbsent covers that.',
      'none',
      [g.instant('max by (instance) (up%s)' % sel(), '{{instance}}')],
      w=8,
    ) + g.valueText({ '0': { text: 'DOWN', color: 'red' }, '1': { text: 'UP', color: 'green' } }) + g.thresholds([]),
    g.stat(
      'Collectors failing',
      'Collectors that failed their last cycle, per instance (their metrics are absent until they succeed). 0 is healthy; TcpstateCollectorFailing fires on anything else.',
      'short',
      [g.instant('sum by (instance) (1 - tcpstate_collector_success%s)' % sel(), '{{instance}}')],
      w=4,
    ) + g.thresholds([{ value: 1, color: 'red' }]),
    g.stat(
      'Stuck reads',
      'File reads under --path.procfs that have not returned within half the collector timeout (a FIFO, a dead NFS or FUSE mount, a wedged kernel path). Each holds one libuv pool thread; its collector is not started again until the read returns. 0 is healthy.',
      'short',
      [g.instant('max by (instance) (tcpstate_stuck_reads%s)' % sel(), '{{instance}}')],
      w=4,
    ) + g.thresholds([{ value: 1, color: 'red' }]),
    g.timeseries(
      'Snapshot age',
      "Age of the snapshot each exporter serves, against the age at which TcpstateSnapshotStale fires (%d collection intervals) and the last cycle's duration." % c.snapshotStale.intervals,
      's',
      [
        g.query('max by (instance) (tcpstate_snapshot_age_seconds%s)' % sel(), '{{instance}} age'),
        g.query('%d * max by (instance) (tcpstate_collection_interval_seconds%s)' % [c.snapshotStale.intervals, sel()], '{{instance}} stale above'),
        g.query('max by (instance) (tcpstate_collection_duration_seconds%s)' % sel(), '{{instance}} last cycle'),
      ],
      w=8,
    ) + g.min(0),
    g.timeseries(
      'Collection duration per collector',
      'How long each collector took in its last cycle, per instance.',
      's',
      [g.query('max by (instance, collector) (tcpstate_collector_duration_seconds%s)' % sel(), '{{instance}} {{collector}}')],
      w=8,
    ) + g.min(0),
    g.table(
      'Socket source',
      "Per instance: where the socket table comes from (netlink sock_diag, procfs, or systeminformation), where listen backlogs come from, cycles that fell back from netlink to procfs in the dashboard's range, and malformed socket-table lines skipped in the last cycle.",
      ['instance', 'source', 'backlog_source'],
      [
        { name: 'Socket source', unit: 'short', hidden: true, expr: 'max by (instance, source) (tcpstate_socket_source_info%s)' % sel() },
        { name: 'Backlog source', unit: 'short', hidden: true, expr: 'max by (instance, backlog_source) (label_replace(tcpstate_listen_backlog_source_info%s, "backlog_source", "$1", "source", "(.*)"))' % sel() },
        { name: 'Fallbacks to procfs', unit: 'short', expr: 'sum by (instance) (increase(tcpstate_socket_source_fallbacks_total%s[$__range]))' % sel() },
        { name: 'Malformed lines', unit: 'short', expr: 'sum by (instance) (tcpstate_socket_table_malformed_lines%s)' % sel() },
      ],
      w=16,
      h=6,
    ),
    g.table(
      'Exporter versions',
      'Per instance: the exporter and Node.js versions, and when the served snapshot was taken.',
      ['instance', 'version', 'nodejs_version'],
      [
        { name: 'Build', unit: 'short', hidden: true, expr: 'max by (instance, version, nodejs_version) (tcpstate_build_info%s)' % sel() },
        { name: 'Snapshot taken', unit: 'dateTimeAsIso', expr: 'max by (instance) (tcpstate_snapshot_timestamp_seconds%s) * 1000' % sel() },
      ],
      w=8,
      h=6,
    ),
  ]);

  g.dashboard(
    c,
    c.dashboardUIDs.overview,
    'TCP state overview (tcpstate-exporter)',
    'TCP sockets per state and port, listen queues, keepalive, ephemeral ports and kernel TCP counters from tcpstate-exporter; the top row is what the Tcpstate alerts fire on.',
    [
      g.datasourceVariable,
      g.queryVariable('job', 'Job', 'label_values(tcpstate_build_info%s, job)' % lib.selector(c)),
      g.queryVariable('instance', 'Instance', 'label_values(tcpstate_build_info%s, instance)' % lib.selector(c, 'job=~"$job"')),
      g.queryVariable('port', 'Port', 'label_values(tcpstate_port_sockets%s, port)' % lib.selector(c, 'job=~"$job", instance=~"$instance"'), sort=3),
    ],
    [whatAlerts, states, ports, listen, keepalive, ephemeral, counters, settings, traffic, attribution, health],
    links=[g.dashboardLink('Port drill-down', c.dashboardUIDs.port, 'One instance and port: states, accept queue, keepalive, owning processes, ephemeral ports, and the ss commands')],
    annotations=[{ name: 'Tcpstate alerts', expr: alerts, title: '{{alertname}}', text: '{{instance}} {{role}} {{port}}', tags: 'severity' }],
  )
