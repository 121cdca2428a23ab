import { STATE_CODES, stateName } from '../model/tcpState.js';
import { fromData, scalarGauge, type MetricFamily } from './metricFamily.js';

/** Per-process attribution (--collector.processes). */
export const PROCESS_SOCKET_METRICS: readonly MetricFamily[] = [
  {
    name: 'tcpstate_process_sockets',
    help: 'Sockets held by the processes with the most sockets in each state (--collector.processes.top per state), by process name (/proc/<pid>/comm, or the base name of argv[0] where comm is a runtime thread name such as MainThread under Node.js 24); pid is empty unless --collector.processes.pid. A process keeping CLOSE_WAIT sockets never closes them.',
    type: 'gauge',
    labelNames: ['process', 'pid', 'state'],
    collector: 'processes',
    samples: fromData('processes', (d) => d.top.map((t) => ({ labels: { process: t.process, pid: t.pid, state: t.state }, value: t.sockets }))),
  },
  {
    name: 'tcpstate_process_unattributed_sockets',
    help: 'Sockets (with an inode) that no readable descriptor table holds, by state: orphans, sockets of processes whose descriptors cannot be read, or opened after the scan began.',
    type: 'gauge',
    labelNames: ['state'],
    collector: 'processes',
    samples: fromData('processes', (d) => STATE_CODES.map((code) => ({ labels: { state: stateName(code) }, value: d.unattributed[code]! }))),
  },
  scalarGauge(
    'processes',
    'tcpstate_process_scan_unreadable_processes',
    "Processes whose descriptor table the last scan could not read (other users' processes without CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH).",
    (d) => d.processesUnreadable,
  ),
  scalarGauge('processes', 'tcpstate_process_scan_processes', 'Processes whose descriptor tables the last scan read.', (d) => d.processesScanned),
  scalarGauge(
    'processes',
    'tcpstate_process_scan_duration_seconds',
    'Wall time of the last process scan (socket walk and descriptor tables); scans run every --collector.processes.interval.',
    (d) => d.scanDurationSeconds,
  ),
  scalarGauge('processes', 'tcpstate_process_scan_timestamp_seconds', 'Unix time of the last process scan: the tcpstate_process_* values are this old.', (d) => d.scannedAtSeconds),
];
