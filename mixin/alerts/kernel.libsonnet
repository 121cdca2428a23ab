// Alerts on the kernel's TCP memory and socket limits: memory pressure (tcp_mem), connections
// killed for memory or orphans, orphans near tcp_max_orphans, TIME_WAIT skipped at
// tcp_max_tw_buckets. Host-level: the kernel counts these per network namespace, not per port.
// Metrics: sockstat, sysctl and netstat collectors in docs/metrics.md; the ratios are recording
// rules (mixin/rules).
local lib = import '../lib.libsonnet';
local alert = import 'alert.libsonnet';

{
  local c = $._config,
  local m(name, extra='') = lib.metric(c, name, extra),
  local on = lib.onInstance(c),

  tcpstateKernelAlerts:: [
    // Pressure is entered above tcp_mem's pressure value and left below its min, so a host can be
    // in pressure with memory below the pressure value: the TCPMemoryPressures counter (entries)
    // catches what a sample of memory misses. $value is memory over the pressure value.
    local memory = m('instance:tcpstate_sockstat_memory_bytes:ratio');
    alert.new(
      c,
      'TcpstateMemoryPressure',
      c.memoryPressure,
      |||
        %(memory)s
        and %(on)s
        (
          increase(%(pressures)s[%(window)s]) > 0
          or %(on)s
          %(memory)s >= 1
        )
      ||| % { memory: memory, on: on, pressures: m('tcpstate_tcpext_memory_pressures_total'), window: c.memoryPressure.window },
      'The kernel is short of TCP memory (tcp_mem pressure): it shrinks socket buffers and throttles senders.',
      'TCP socket buffers of {{ $labels.instance }} use {{ $value | humanizePercentage }} of the tcp_mem pressure value, and the kernel entered memory pressure within the last %s or is in it now.' % c.memoryPressure.window,
    ),

    // round(): increase() extrapolates to the window's edges; the count of events is an integer.
    alert.new(
      c,
      'TcpstateAbortOnMemory',
      c.abortOnMemory,
      'round(increase(%s[%s])) > 0' % [m('tcpstate_tcpext_abort_on_memory_total'), c.abortOnMemory.window],
      'The kernel kills TCP connections for lack of memory or because there are too many orphaned sockets.',
      'About {{ $value | humanize }} connections of {{ $labels.instance }} were aborted (TCPAbortOnMemory) within the last %s.' % c.abortOnMemory.window,
    ),

    alert.new(
      c,
      'TcpstateOrphansNearLimit',
      c.orphans,
      '%s > %s' % [m('instance:tcpstate_sockstat_orphan_sockets:ratio'), lib.num(c.orphans.ratio)],
      'Orphaned sockets near tcp_max_orphans: beyond it the kernel resets connections being closed.',
      'Orphaned sockets (closed by their process, still finishing the close) on {{ $labels.instance }} are at {{ $value | humanizePercentage }} of tcp_max_orphans.',
    ),

    alert.new(
      c,
      'TcpstateTimeWaitOverflow',
      c.timeWaitOverflow,
      'round(increase(%s[%s])) > 0' % [m('tcpstate_tcpext_time_wait_overflow_total'), c.timeWaitOverflow.window],
      'tcp_max_tw_buckets is reached: closing connections skip TIME_WAIT.',
      'About {{ $value | humanize }} connections of {{ $labels.instance }} closed without TIME_WAIT (TCPTimeWaitOverflow) within the last %s. Connections still succeed; a late segment of an old connection can reach a new one on the same port pair.' % c.timeWaitOverflow.window,
    ),
  ],
}
