#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 --optimize-for-size
// The runtime flags live in this shebang only: `npm start`, the benchmarks and the tests all
// exec this file. They keep the resident set small (measured at 1M sockets, docs/performance.md):
// a 1 MB young generation, V8's size-over-speed heuristics, and one malloc arena instead of one
// per thread (the libuv pool threads that run netlink recv() would otherwise each get one).
import type { Logger } from 'pino';
import { HeldLog } from './cli/heldLog.js';
import { renderSnapshotJson, renderSnapshotTable } from './cli/snapshotReport.js';
import { watchCommand } from './cli/watch.js';
import { buildCollectors } from './collectors/index.js';
import { DEFAULTS, parseCommandLine, UsageError, USAGE, type ExporterConfig } from './config.js';
import { describeInertFlag } from './config/inertFlags.js';
import { formatListenAddress, type ListenTarget } from './config/listenAddress.js';
import { systemdListenFds } from './config/systemdSocket.js';
import { metricCatalog } from './metrics/catalog.js';
import { buildExposition } from './metrics/exposition.js';
import { errorMessage } from './model/errno.js';
import { buildApp } from './server/app.js';
import { descendantPids } from './runtime/childProcesses.js';
import { exitProcess } from './runtime/exit.js';
import { createLogger } from './server/logger.js';
import type { WebSecurity } from './server/webSecurity.js';
import { staleAfterMs } from './snapshot/deadline.js';
import { SnapshotPoller } from './snapshot/poller.js';
import { pendingReads } from './sources/pendingReads.js';
import { procfsRootProblem } from './sources/procfsRoot.js';
import { FallbackSocketSource } from './sources/fallbackSocketSource.js';
import { selectSocketSource } from './sources/selectSocketSource.js';
import { describeTableNamespace, tableNamespace } from './sources/tableNamespace.js';
import { BUILD_INFO } from './version.js';

/** Time SIGTERM/SIGINT leave for scrapes in flight; after it the process ends whatever is pending. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * A --path.procfs that cannot serve is refused at start (exit 2, one line). On another OS the
 * default /proc may be absent: the systeminformation source needs none.
 */
async function procfsProblem(config: ExporterConfig): Promise<string | null> {
  const needsRoot = process.platform === 'linux' || config.procfs !== DEFAULTS.procfs;
  if (!needsRoot) return null;
  const readsTable = config.collectors.has('sockets') && (config.source === 'procfs' || (config.source === 'auto' && process.platform === 'linux'));
  return procfsRootProblem(config.procfs, readsTable, config.collectorTimeoutMs);
}

/**
 * Collection runs on the main thread: the kernel's part of a netlink walk runs on libuv pool
 * threads (see sources/netlink/dump.ts) and parsing yields after every datagram, so scrapes keep
 * answering during a million-socket walk without a second V8 isolate (docs/design.md).
 */
async function buildPoller(config: ExporterConfig, log: Logger): Promise<SnapshotPoller> {
  for (const flag of config.inertFlags) {
    const said = describeInertFlag(flag);
    log.warn(said.fields, said.msg);
  }
  const source = await selectSocketSource(config.source, config.procfs, log);
  if (config.collectors.has('sockets')) {
    const fallback = source instanceof FallbackSocketSource ? source.fallback.name : undefined;
    if (source.reportsKernelDetail) log.info({ source: source.name, fallback, procfs: config.procfs }, 'socket source selected');
    else if (config.source === 'systeminformation') log.warn({ source: source.name }, 'socket source systeminformation, as asked: states and ports only, no queues or timers');
    else log.warn({ source: source.name }, 'no kernel socket table under --path.procfs: using systeminformation (states and ports only, no queues or timers)');
    // tcp_info comes only with sock_diag dumps: with another source the collector fails every
    // cycle (its success 0 and error say why); said once here too, as an inert flag is.
    if (config.collectors.has('tcpinfo') && source.name !== 'netlink') {
      log.warn({ flag: '--collector.tcpinfo', source: source.name }, `--collector.tcpinfo has no effect with the ${source.name} socket source (tcp_info comes from sock_diag netlink): the tcpinfo collector fails every cycle`);
    }
    if (process.platform === 'linux') {
      const said = describeTableNamespace(await tableNamespace(config.procfs, source.name), config.procfs);
      log[said.level](said.fields, said.msg);
    }
  }
  const collectors = buildCollectors({
    enabled: config.collectors,
    sockets: { source, portLimits: config.portLimits, ephemeral: config.ephemeral, hysteresis: config.seriesHysteresis },
    processes: config.processes,
    netns: config.netns,
    connections: config.connections,
  });
  return new SnapshotPoller(collectors, { procfs: config.procfs, log }, config.intervalMs, { timeoutMs: config.collectorTimeoutMs });
}

async function snapshotCommand(config: ExporterConfig): Promise<number> {
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, config.logFormat);
  const poller = await buildPoller(config, log);
  const snapshot = await poller.collectOnce();
  await poller.stop();
  process.stdout.write(config.snapshotFormat === 'json' ? renderSnapshotJson(snapshot) : renderSnapshotTable(snapshot, { wide: config.wide }));
  return Object.values(snapshot.status).every((s) => s.success) ? 0 : 1;
}

/** One line on stderr for a problem with the flags or what they point at; exit code 2. */
function usageFailure(what: string, err: unknown): number {
  process.stderr.write(`tcpstate-exporter: error: ${what}: ${errorMessage(err)}\n`);
  return 2;
}

/** Where to listen: the sockets systemd passed, or every --web.listen-address. */
function listenTargets(config: ExporterConfig): ListenTarget[] {
  if (config.systemdSocket) return systemdListenFds().map((fd) => ({ kind: 'systemd', fd }));
  return config.listenAddresses.map((a) => ({ kind: 'address', ...a }));
}

async function serveCommand(config: ExporterConfig): Promise<number | undefined> {
  const log = createLogger(config.logLevel, config.logFormat);
  let targets: ListenTarget[];
  try {
    targets = listenTargets(config);
  } catch (err) {
    return usageFailure('--web.systemd-socket', err);
  }
  let security: WebSecurity | undefined;
  if (config.webConfigFile !== undefined) {
    try {
      // Loaded only when asked for: YAML and bcrypt cost every other exporter ~3 MB for nothing.
      const { WebSecurity: Security } = await import('./server/webSecurity.js');
      security = await Security.load(config.webConfigFile);
    } catch (err) {
      // A bad file at start is a clear error, never a server without the protection asked for.
      return usageFailure('--web.config.file', err);
    }
    log.info(security.summary(), 'web config loaded');
    for (const note of security.notes()) log.info({ file: config.webConfigFile }, note);
  }
  const poller = await buildPoller(config, log);
  const exposition = buildExposition(metricCatalog(BUILD_INFO, config.collectors), poller, { processMetrics: !config.disableExporterMetrics });
  const staleAfter = staleAfterMs(config.intervalMs, config.collectorTimeoutMs);
  const app = buildApp({
    exposition,
    collectors: config.collectors,
    snapshots: poller,
    telemetryPath: config.telemetryPath,
    build: BUILD_INFO,
    logger: log,
    onClose: () => poller.stop({ abandon: true }),
    ...(security ? { security } : {}),
    maxRequests: config.maxRequests,
    staleAfterMs: staleAfter,
  });
  security?.watch(app, log, app.httpServers);

  await app.ready();
  const urls: string[] = [];
  for (const target of targets) {
    try {
      urls.push(await app.httpServers.listen(target));
    } catch (err) {
      // Like node_exporter: every address or none; never a server on some of them only.
      await app.close();
      return usageFailure(target.kind === 'systemd' ? `--web.systemd-socket (fd ${target.fd})` : `--web.listen-address=${formatListenAddress(target)}`, err);
    }
  }
  targets.forEach((target, i) => {
    const where = target.kind === 'systemd' ? { systemd_socket_fd: target.fd } : {};
    log.info(
      { version: BUILD_INFO.version, url: urls[i], ...where, interval_ms: config.intervalMs, timeout_ms: config.collectorTimeoutMs, stale_after_ms: staleAfter, collectors: [...config.collectors].join(',') || 'none' },
      'tcpstate-exporter listening',
    );
  });
  // Handlers first: a signal from here on is a graceful shutdown, never the default kill.
  let closing = false;
  const exit = (code: number): void => {
    // The same count as tcpstate_stuck_reads: reads merely in flight at this moment are not stuck.
    if (pendingReads.size > 0) log.info({ reads_under_way: pendingReads.size, stuck_reads: poller.stuckReads().length }, 'exiting with file reads still under way');
    void exitProcess(code);
  };
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    log.info({ signal, grace_ms: SHUTDOWN_GRACE_MS }, 'shutting down');
    // Whatever is still pending then (a scrape that never ends, a hung read), the process ends.
    setTimeout(() => {
      log.warn({ grace_ms: SHUTDOWN_GRACE_MS }, 'shutdown grace period over; exiting');
      exit(1);
    }, SHUTDOWN_GRACE_MS);
    // close() stops accepting, lets in-flight scrapes finish, then runs onClose (poller.stop(),
    // which abandons a cycle under way: collectors do not hold shutdown up).
    app.close().then(
      () => exit(0),
      (err: unknown) => {
        log.error({ err }, 'error during shutdown');
        exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  void poller.start().then(
    // A first cycle that shutdown abandoned ends unpublished: it is not reported as done.
    (s) => {
      if (!closing) log.info({ duration_ms: Math.round(s.durationSeconds * 1000) }, 'first collection done');
    },
    (err: unknown) => log.error({ err }, 'first collection failed'),
  );
}

export async function main(argv: readonly string[]): Promise<number | undefined> {
  let parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`tcpstate-exporter: error: ${err.message}\nTry 'tcpstate-exporter --help'.\n`);
      return 2;
    }
    throw err;
  }
  const { command, config } = parsed;
  if (command === 'serve' || command === 'snapshot' || command === 'watch') {
    const problem = await procfsProblem(config);
    if (problem !== null) {
      process.stderr.write(`tcpstate-exporter: error: ${problem}\n`);
      return 2;
    }
  }
  switch (command) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'version':
      process.stdout.write(`tcpstate-exporter ${BUILD_INFO.version} (Node.js ${BUILD_INFO.nodeVersion})\n`);
      return 0;
    case 'snapshot':
      return snapshotCommand(config);
    case 'watch': {
      // Each frame on a terminal clears the screen, start-up warnings included: watch shows them again.
      const log = new HeldLog(process.stderr);
      return watchCommand(config, await buildPoller(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, config.logFormat, log)), process.stdout, log);
    }
    case 'serve':
      return serveCommand(config);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code === undefined) return;
    process.exitCode = code;
    // A command that ends with a read still hanging (a snapshot whose collector timed out) must
    // still end: the event loop would wait for the read, and exit() would join its thread. So
    // must one whose collector left a child process running (systeminformation's netstat).
    if (pendingReads.size > 0 || descendantPids().length > 0) void exitProcess(code);
  },
  (err: unknown) => {
    process.stderr.write(`tcpstate-exporter: fatal: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  },
);
