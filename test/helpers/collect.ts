import { pino, type Logger } from 'pino';
import { DEFAULT_PORT_LIMITS, type PortLimits } from '../../src/aggregate/socketSummary.js';
import { buildCollectors, COLLECTOR_NAMES, DEFAULT_OFF_COLLECTORS, type CollectorName, type CollectorOptions } from '../../src/collectors/index.js';
import { DEFAULT_NETNS_OPTIONS, DEFAULT_PROCESS_OPTIONS } from '../../src/collectors/options.js';
import { SnapshotPoller } from '../../src/snapshot/poller.js';
import type { Snapshot } from '../../src/snapshot/snapshot.js';
import { queryListenerBacklogs } from '../../src/sources/netlink/listenerBacklogs.js';
import { ProcfsSocketSource } from '../../src/sources/procfsSocketSource.js';
import type { SocketSource } from '../../src/sources/socketSource.js';

export const silentLogger = pino({ level: 'silent' });

/** The collectors the CLI runs when no --collector.* flag is given. */
export const DEFAULT_COLLECTORS: ReadonlySet<CollectorName> = new Set(COLLECTOR_NAMES.filter((n) => !DEFAULT_OFF_COLLECTORS.has(n)));

/** Every collector, the opt-in ones with their port and pid options on: what a golden of the whole catalog needs. */
export const ALL_COLLECTORS: Pick<CollectorOptions, 'enabled' | 'processes' | 'netns'> = {
  enabled: new Set(COLLECTOR_NAMES),
  processes: { ...DEFAULT_PROCESS_OPTIONS, pids: true },
  netns: { ...DEFAULT_NETNS_OPTIONS, ports: true },
};

/** A poller over a procfs tree with the default collectors (or those given), as the CLI builds it. */
export function fixturePoller(
  procfs: string,
  limits: PortLimits = DEFAULT_PORT_LIMITS,
  log = silentLogger,
  collectors: Pick<CollectorOptions, 'enabled' | 'processes' | 'netns'> = { enabled: DEFAULT_COLLECTORS },
): SnapshotPoller {
  return pollerFor(new ProcfsSocketSource(procfs), procfs, limits, log, collectors);
}

/** A poller over this host's /proc, with listen backlogs from netlink, as the CLI builds it on Linux. */
export function livePoller(limits: PortLimits = DEFAULT_PORT_LIMITS): SnapshotPoller {
  return pollerFor(new ProcfsSocketSource('/proc', () => queryListenerBacklogs()), '/proc', limits, silentLogger);
}

function pollerFor(
  source: SocketSource,
  procfs: string,
  limits: PortLimits,
  log: Logger,
  options: Pick<CollectorOptions, 'enabled' | 'processes' | 'netns'> = { enabled: DEFAULT_COLLECTORS },
): SnapshotPoller {
  const collectors = buildCollectors({ ...options, sockets: { source, portLimits: limits } });
  return new SnapshotPoller(collectors, { procfs, log }, 60_000);
}

export function collectFixture(procfs: string, limits?: PortLimits): Promise<Snapshot> {
  return fixturePoller(procfs, limits).collectOnce();
}

/** A pino logger (debug and up) that keeps every record, for tests that check what was logged. */
export function recordingLog(): { logger: Logger; records: Array<{ level: string; msg: string; obj: Record<string, unknown> }> } {
  const records: Array<{ level: string; msg: string; obj: Record<string, unknown> }> = [];
  const names: Record<number, string> = { 20: 'debug', 30: 'info', 40: 'warn', 50: 'error' };
  const logger = pino({ level: 'debug' }, {
    write(line: string) {
      const { level, msg, ...obj } = JSON.parse(line) as { level: number; msg: string } & Record<string, unknown>;
      records.push({ level: names[level] ?? String(level), msg, obj });
    },
  });
  return { logger, records };
}
