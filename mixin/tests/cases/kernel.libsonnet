// Cases of the kernel-limit alerts (mixin/alerts/kernel.libsonnet) with the default _config.
local t = import '../lib.libsonnet';

local memory(bytes, pressureBytes, pressures) = [
  t.series('tcpstate_sockstat_memory_bytes', {}, '%dx20' % bytes),
  t.series('tcpstate_sysctl_mem_pressure_bytes', {}, '%dx20' % pressureBytes),
  t.series('tcpstate_tcpext_memory_pressures_total', {}, pressures),
];
local memoryText(share) = 'TCP socket buffers of 10.0.0.7:9816 use %s of the tcp_mem pressure value, and the kernel entered memory pressure within the last 10m or is in it now.' % share;

local orphans(count) = [
  t.series('tcpstate_sockstat_orphan_sockets', {}, '%dx20' % count),
  t.series('tcpstate_sysctl_max_orphans', {}, '65536x20'),
];

[
  t.case('TcpstateMemoryPressure', 'socket memory above the pressure value fires', memory(400e6, 380e6, '0x20'), [
    t.at('10m', [t.fires({}, memoryText('105.3%'), t.overviewDashboard())]),
  ]),
  t.case('TcpstateMemoryPressure', 'a pressure episode counted between samples fires once it lasted the `for`', memory(100e6, 380e6, '0x5 1x15'), [
    t.at('10m'),
    t.at('13m', [t.fires({}, memoryText('26.32%'), t.overviewDashboard())]),
  ]),
  t.case('TcpstateMemoryPressure', 'memory below the pressure value with no episode does not fire', memory(100e6, 380e6, '3x20'), [t.at('10m')]),

  t.case('TcpstateAbortOnMemory', 'connections killed for memory fire at once', [t.series('tcpstate_tcpext_abort_on_memory_total', {}, '0x5 3x10')], [
    t.at('8m', [t.fires({}, 'About 3 connections of 10.0.0.7:9816 were aborted (TCPAbortOnMemory) within the last 5m.', t.overviewDashboard())]),
  ]),
  t.case('TcpstateAbortOnMemory', 'a flat counter does not fire', [t.series('tcpstate_tcpext_abort_on_memory_total', {}, '5x20')], [t.at('8m')]),

  t.case('TcpstateOrphansNearLimit', '60000 orphans of 65536 fire', orphans(60000), [
    t.at('10m', [t.fires({}, 'Orphaned sockets (closed by their process, still finishing the close) on 10.0.0.7:9816 are at 91.55% of tcp_max_orphans.', t.overviewDashboard())]),
  ]),
  t.case('TcpstateOrphansNearLimit', 'a few orphans do not fire', orphans(100), [t.at('10m')]),

  t.case('TcpstateTimeWaitOverflow', 'TIME_WAIT skipped at the bucket limit fires as info', [t.series('tcpstate_tcpext_time_wait_overflow_total', {}, '0+100x20')], [
    t.at('15m', [t.fires({}, 'About 1k connections of 10.0.0.7:9816 closed without TIME_WAIT (TCPTimeWaitOverflow) within the last 10m. Connections still succeed; a late segment of an old connection can reach a new one on the same port pair.', t.overviewDashboard())]),
  ]),
  // Issue 12 item 3: near the limit with nothing skipped or refused is a level, not an alert.
  t.case('TcpstateTimeWaitOverflow', 'TIME_WAIT near the bucket limit with nothing skipped does not fire', [
    t.series('tcpstate_sockstat_time_wait_sockets', {}, '9900x20'),
    t.series('tcpstate_sysctl_max_tw_buckets', {}, '10000x20'),
    t.series('tcpstate_tcpext_time_wait_overflow_total', {}, '0x20'),
  ], [t.at('15m')]),
]
