import { pino } from 'pino';
import { DEFAULT_PORT_LIMITS, type PortLimits } from '../../src/aggregate/socketSummary.js';
import { buildCollectors, COLLECTOR_NAMES } from '../../src/collectors/index.js';
import { SnapshotPoller } from '../../src/snapshot/poller.js';
import type { Snapshot } from '../../src/snapshot/snapshot.js';
import { ProcfsSocketSource } from '../../src/sources/procfsSocketSource.js';

export const silentLogger = pino({ level: 'silent' });

/** A poller over a procfs tree with every collector enabled, as the CLI builds it. */
export function fixturePoller(procfs: string, limits: PortLimits = DEFAULT_PORT_LIMITS, log = silentLogger): SnapshotPoller {
  const collectors = buildCollectors({ enabled: new Set(COLLECTOR_NAMES), socketSource: new ProcfsSocketSource(procfs), portLimits: limits });
  return new SnapshotPoller(collectors, { procfs, log }, 60_000);
}

export function collectFixture(procfs: string, limits?: PortLimits): Promise<Snapshot> {
  return fixturePoller(procfs, limits).collectOnce();
}
