// The drill-down for one instance and one port, where alerts with a port link to
// (`/d/<uid>?var-instance=...&var-port=...`): the port's states over time in both roles, its
// accept queue against what it holds, keepalive coverage, the processes and pods holding sockets,
// the ephemeral ports held toward it when it is a remote port, and the exact `ss` commands.
local lib = import '../lib.libsonnet';
local common = import 'common.libsonnet';
local g = import 'grafana.libsonnet';
local queries = import 'queries.libsonnet';

function(c)
  // instance and port are single-select: exact matches.
  local q = queries.new(c, ['job=~"$job"', 'instance="$instance"']);
  local sel = q.sel;
  local here = 'port="$port", role=~"$role"';
  local k = c.dashboardTopK;
  local ephemeralThresholds = g.thresholds([{ value: c.ephemeralPorts.pressure, color: 'orange' }, { value: c.ephemeralPorts.exhaustion, color: 'red' }]);

  local ssCommands = |||
    The exporter counts what these show. `role="server"`: **$port** is a local listening port (`sport`); `role="client"`: **$port** is the remote port this host connects to (`dport`).

    **On the host** (`-p` names the owning process; as root to see every process's):

    ```
    # server role: local port $port
    ss -tanp state close-wait '( sport = :$port )'
    ss -tanop state established '( sport = :$port )'   # -o: keepalive timer per connection
    ss -ltn '( sport = :$port )'                        # Recv-Q = waiting to be accepted, Send-Q = backlog

    # client role: remote port $port
    ss -tanp state close-wait '( dport = :$port )'
    ss -tanp state syn-sent '( dport = :$port )'
    ss -tanop state established '( dport = :$port )'
    ss -Htan state time-wait '( dport = :$port )' | wc -l   # -H: no header line
    ```

    **In Kubernetes** a pod has its own network namespace: enter it with the PID of any process of the pod (on the node, as root):

    ```
    PID=$(crictl inspect --output go-template --template '{{.info.pid}}' <container-id>)
    nsenter -t $PID -n ss -tanp state close-wait '( sport = :$port )'   # server role
    nsenter -t $PID -n ss -tanp state close-wait '( dport = :$port )'   # client role
    nsenter -t $PID -n ss -ltn '( sport = :$port )'
    ```

    The container ID and pod UID of a namespace are on the "Pods holding sockets on this port" panel (with --collector.netns).
  |||;

  local overview = g.row('Port $port on $instance', [
    g.text(
      'Look at it with ss',
      "The ss commands that list what the panels count on this port, for both roles, on the host and inside a Kubernetes pod's network namespace (nsenter).",
      ssCommands,
      w=12,
      h=15,
    ),
    g.table(
      'Sockets now',
      'Sockets on port $port of $instance now, per role (server: $port is a local listening port; client: $port is the remote port) and state. A role the exporter does not report the port in has no row (ports beyond the caps are in port="other").',
      ['instance', 'role', 'port'],
      [{ name: s.name, unit: 'short', expr: 'sum by (instance, role, port) (tcpstate_port_sockets%s)' % sel('state="%s", %s' % [s.label, here]) } for s in common.states],
      w=12,
      h=5,
    ) + g.noValue('port not reported in this role'),
    g.timeseries(
      'States over time',
      'Sockets on port $port of $instance by role and state, stacked. CLOSE_WAIT that only grows is a leak in the application on this host; SYN_SENT piling up on the client role, a destination not answering; SYN_RECV on the server role, a SYN flood or slow handshakes.',
      'short',
      [g.query('sum by (instance, role, port, state) (tcpstate_port_sockets%s)' % sel(here), '{{instance}} {{role}} {{port}} {{state}}')],
      w=12,
      h=10,
      stack=true,
    ) + g.noValue('port not reported'),
  ]);

  local listen = g.row('Accept queue (server role)', [
    g.timeseries(
      'Accept queue against what it holds',
      'Connections waiting to be accepted on port $port (all its listening sockets), against what the queues hold before the kernel drops: backlog + 1 per listening socket (it drops only when more than backlog are queued; `ss -ltn` shows the backlog as Send-Q). Sampled every collection.',
      'short',
      [
        g.query('sum by (instance, port) (tcpstate_listen_queue_length%s)' % sel('port="$port"'), '{{instance}} {{port}} waiting'),
        g.query('sum by (instance, port) (tcpstate_listen_queue_backlog%s) + sum by (instance, port) (tcpstate_listeners%s)' % [sel('port="$port"'), sel('port="$port"')], '{{instance}} {{port}} holds (backlog + 1 per listener)'),
      ],
      w=12,
    ) + g.min(0) + g.noValue('no listener on this port'),
    g.timeseries(
      "Fullest listener's fill",
      'Queue over backlog + 1 of the fullest listening socket on port $port: at 100 % the next connection is dropped (a listen(0) socket with one waiting connection is full).',
      'percentunit',
      [g.query('max by (instance, port) (tcpstate_listen_queue_max_fill_ratio%s)' % sel('port="$port"'), '{{instance}} {{port}}')],
      w=6,
    ) + g.thresholds([{ value: 1, color: 'red' }]) + g.thresholdLines + g.min(0) + g.noValue('no listener on this port'),
    g.timeseries(
      'Listen overflows and drops (whole host)',
      "Connection attempts dropped by any listener of $instance per second: the kernel counts these per host, not per port. A rise while this port's fill reads 100 % is this port.",
      'ops',
      [
        g.query(q.sumRate('instance', 'tcpstate_tcpext_listen_overflows_total'), '{{instance}} overflows'),
        g.query(q.sumRate('instance', 'tcpstate_tcpext_listen_drops_total'), '{{instance}} drops'),
      ],
      w=6,
    ) + g.thresholds([{ value: c.listenOverflow.perSecond, color: 'orange' }]) + g.thresholdLines,
  ]);

  local keepalive = g.row('Keepalive', [
    g.timeseries(
      'Keepalive on ESTABLISHED connections',
      'ESTABLISHED connections on port $port by role and keepalive timer: armed, not armed (a vanished peer or a NAT that forgot the connection goes unnoticed until the application writes), unknown (a retransmit timer hides it). `ss -o` shows the timer per connection.',
      'short',
      [g.query('sum by (instance, role, port, keepalive) (tcpstate_port_established_keepalive_sockets%s)' % sel(here), '{{instance}} {{role}} {{port}} {{keepalive}}')],
      w=12,
      stack=true,
    ) + g.noValue('no ESTABLISHED connection reported on this port'),
    common.keepaliveTimeStat(c, q, w=6, h=8),
    common.natTimeoutsText(c, w=6, h=8),
  ]);

  local traffic = g.row('Connections and TCP health (opt-in collectors)', [
    g.timeseries(
      'Connections closed per second',
      'Needs --collector.connections. TCP connections closed per second by instance, role and port, from the kernel\'s socket destroy events: each side the host holds once (role="server": local port of the service; role="client": remote port). Short-lived connections a poll never sees are counted too.',
      'ops',
      [g.query('sum by (instance, role, port) (%s)' % q.rate('tcpstate_port_closed_connections_total', here), '{{instance}} {{role}} {{port}}')],
      w=8,
    ) + g.noValue('needs --collector.connections'),
    g.timeseries(
      'Data bytes of closed connections',
      'Needs --collector.connections. Payload bytes per second that the connections closing on each port moved, by direction (SYN and FIN not counted), counted when they close: a long-lived connection adds its bytes at its end.',
      'Bps',
      [g.query('sum by (instance, role, port, direction) (%s)' % q.rate('tcpstate_port_closed_connection_bytes_total', here), '{{instance}} {{role}} {{port}} {{direction}}')],
      w=8,
    ) + g.noValue('needs --collector.connections'),
    g.timeseries(
      'Segments and retransmissions of closed connections',
      'Needs --collector.connections. Segments per second the closing connections sent and received (handshake, FIN, ACKs and retransmissions included), and those they retransmitted. TcpstatePortRetransmitRatioHigh fires on retransmitted over sent, per server port.',
      'ops',
      [
        g.query('sum by (instance, role, port, direction) (%s)' % q.rate('tcpstate_port_closed_connection_segments_total', here), '{{instance}} {{role}} {{port}} {{direction}}'),
        g.query('sum by (instance, role, port) (%s)' % q.rate('tcpstate_port_closed_connection_retransmitted_segments_total', here), '{{instance}} {{role}} {{port}} retransmitted'),
      ],
      w=8,
    ) + g.noValue('needs --collector.connections'),
    g.timeseries(
      'RTT of ESTABLISHED connections (median, 99th percentile)',
      'Needs --collector.tcpinfo. The smoothed round-trip time (tcpi_rtt) of the ESTABLISHED connections on each port at the last collection: the median and the 99th percentile, interpolated within the histogram buckets (100 µs to 10 s).',
      's',
      [
        g.query('histogram_quantile(0.5, sum by (instance, role, port, le) (tcpstate_port_rtt_seconds_bucket%s))' % sel(here), '{{instance}} {{role}} {{port}} p50'),
        g.query('histogram_quantile(0.99, sum by (instance, role, port, le) (tcpstate_port_rtt_seconds_bucket%s))' % sel(here), '{{instance}} {{role}} {{port}} p99'),
      ],
      w=12,
    ) + g.noValue('needs --collector.tcpinfo'),
    g.timeseries(
      'Connections in retransmission backoff',
      'Needs --collector.tcpinfo. ESTABLISHED connections whose retransmission timer fired with nothing acknowledged since, per role and port: a peer or path dropping what this host sends. TcpstatePeerBlackholed fires at the dashed line.',
      'short',
      [g.query('sum by (instance, role, port) (tcpstate_port_retransmitting_sockets%s)' % sel(here), '{{instance}} {{role}} {{port}}')],
      w=12,
    ) + g.thresholds([{ value: c.peerBlackholed.sockets, color: 'orange' }]) + g.thresholdLines + g.noValue('needs --collector.tcpinfo'),
  ]);

  local owners = g.row('Who holds the sockets', [
    g.table(
      'Processes with the most sockets (whole host)',
      'Needs --collector.processes. The processes of $instance with the most sockets in each state as of the last process scan. The exporter does not break processes down by port: `ss -tanp` with the filter for $port (left) names the process on this port.',
      ['instance', 'process', 'pid', 'state'],
      [{ name: 'Sockets', unit: 'short', expr: 'topk(%d, sum by (instance, process, pid, state) (tcpstate_process_sockets%s))' % [2 * k, sel()] }],
      w=12,
    ) + g.sortBy('Sockets') + g.noValue('needs --collector.processes'),
    g.table(
      'Pods holding sockets on this port',
      "Needs --collector.netns and --collector.netns.ports. Network namespaces of $instance with sockets on port $port, per role and state, with the pod UID and container ID (for nsenter above). Only each namespace's busiest ports are reported.",
      ['instance', 'netns', 'pod_uid', 'container_id', 'role', 'port', 'state'],
      [{ name: 'Sockets', unit: 'short', expr: 'sum by (instance, netns, pod_uid, container_id, role, port, state) (tcpstate_netns_port_sockets%s)' % sel(here) }],
      w=12,
    ) + g.sortBy('Sockets') + g.noValue("needs --collector.netns.ports, or $port is not among a namespace's busiest ports"),
  ]);

  local ephemeral = g.row('Ephemeral ports toward remote port $port (client role)', [
    g.table(
      'Destinations on remote port $port',
      "When $port is a remote port this host connects to: the busiest destinations on it (among the exporter's top destinations), with the ephemeral ports held toward each in TIME_WAIT and in other states, and the share of the usable range connect() to it cannot use (TIME_WAIT counts unless tcp_tw_reuse applies).",
      ['instance', 'rank', 'family', 'remote_address', 'remote_port'],
      [
        { name: 'Held in TIME_WAIT', unit: 'short', expr: 'sum by (instance, rank, family, remote_address, remote_port) (tcpstate_ephemeral_port_destination_ports%s)' % sel('state="time_wait", remote_port="$port"') },
        { name: 'Held in other states', unit: 'short', expr: 'sum by (instance, rank, family, remote_address, remote_port) (tcpstate_ephemeral_port_destination_ports%s)' % sel('state="other", remote_port="$port"') },
        { name: 'Share connect() cannot use', unit: 'percentunit', expr: 'max by (instance, rank, family, remote_address, remote_port) (tcpstate_ephemeral_port_destination_usage_ratio%s)' % sel('remote_port="$port"') },
      ],
      w=12,
    ) + g.noValue('not among the busiest destinations'),
    g.timeseries(
      'Share of the ephemeral range toward remote port $port',
      'Per destination on remote port $port, the share of usable ephemeral ports connect() to it cannot use. Dashed: TcpstateEphemeralPortPressure and TcpstateEphemeralPortExhaustion.',
      'percentunit',
      [g.query('max by (instance, remote_address, remote_port) (tcpstate_ephemeral_port_destination_usage_ratio%s)' % sel('remote_port="$port"'), '{{instance}} {{remote_address}}:{{remote_port}}')],
      w=12,
    ) + ephemeralThresholds + g.thresholdLines + g.min(0) + g.noValue('not among the busiest destinations'),
  ]);

  g.dashboard(
    c,
    c.dashboardUIDs.port,
    'TCP port drill-down (tcpstate-exporter)',
    'One instance and one port from tcpstate-exporter: states in both roles, accept queue, keepalive, owning processes and pods, ephemeral ports toward it, and the ss commands to look at it. Alerts with a port link here.',
    [
      g.datasourceVariable,
      g.queryVariable('job', 'Job', 'label_values(tcpstate_build_info%s, job)' % lib.selector(c)),
      g.queryVariable('instance', 'Instance', 'label_values(tcpstate_build_info%s, instance)' % lib.selector(c, 'job=~"$job"'), multi=false),
      g.queryVariable('port', 'Port', 'label_values(tcpstate_port_sockets%s, port)' % lib.selector(c, 'job=~"$job", instance="$instance"'), multi=false, sort=3),
      g.queryVariable('role', 'Role', 'label_values(tcpstate_port_sockets%s, role)' % lib.selector(c, 'job=~"$job", instance="$instance", port="$port"')),
    ],
    [overview, listen, keepalive, traffic, owners, ephemeral],
    links=[g.dashboardLink('Overview', c.dashboardUIDs.overview, 'All instances and ports: what alerts, states, ports, listen queues, keepalive, ephemeral ports, counters')],
    annotations=[{
      name: 'Tcpstate alerts of this instance',
      expr: 'ALERTS{alertname=~"Tcpstate.*", alertstate="firing", job=~"$job|", instance="$instance"}',
      title: '{{alertname}}',
      text: '{{role}} {{port}} {{remote_address}} {{remote_port}}',
      tags: 'severity',
    }],
  )
