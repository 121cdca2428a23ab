import { pino, type Logger } from 'pino';
import { DEFAULT_PORT_LIMITS, type PortLimits } from '../../src/aggregate/socketSummary.js';
import { buildCollectors, COLLECTOR_NAMES } from '../../src/collectors/index.js';
import { SnapshotPoller } from '../../src/snapshot/poller.js';
import type { Snapshot } from '../../src/snapshot/snapshot.js';
import { queryListenerBacklogs } from '../../src/sources/netlink/listenerBacklogs.js';
import { ProcfsSocketSource } from '../../src/sources/procfsSocketSource.js';
import type { SocketSource } from '../../src/sources/socketSource.js';

export const silentLogger = pino({ level: 'silent' });

/** A poller over a procfs tree with every collector enabled, as the CLI builds it. */
export function fixturePoller(procfs: string, limits: PortLimits = DEFAULT_PORT_LIMITS, log = silentLogger): SnapshotPoller {
  return pollerFor(new ProcfsSocketSource(procfs), procfs, limits, log);
}

/** A poller over this host's /proc, with listen backlogs from netlink, as the CLI builds it on Linux. */
export function livePoller(limits: PortLimits = DEFAULT_PORT_LIMITS): SnapshotPoller {
  return pollerFor(new ProcfsSocketSource('/proc', () => queryListenerBacklogs()), '/proc', limits, silentLogger);
}

function pollerFor(source: SocketSource, procfs: string, limits: PortLimits, log: Logger): SnapshotPoller {
  const collectors = buildCollectors({ enabled: new Set(COLLECTOR_NAMES), sockets: { sources: { primary: source }, portLimits: limits } });
  return new SnapshotPoller(collectors, { procfs, log }, 60_000);
}

export function collectFixture(procfs: string, limits?: PortLimits): Promise<Snapshot> {
  return fixturePoller(procfs, limits).collectOnce();
}
