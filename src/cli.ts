#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 --optimize-for-size
// The runtime flags live in this shebang only: `npm start`, the benchmarks and the tests all
// exec this file. They keep the resident set small (measured at 1M sockets, docs/performance.md):
// a 1 MB young generation, V8's size-over-speed heuristics, and one malloc arena instead of one
// per thread (the libuv pool threads that run netlink recv() would otherwise each get one).
import type { Logger } from 'pino';
import { renderSnapshotJson, renderSnapshotTable } from './cli/snapshotReport.js';
import { buildCollectors } from './collectors/index.js';
import { parseCommandLine, UsageError, USAGE, type ExporterConfig } from './config.js';
import { metricCatalog } from './metrics/catalog.js';
import { buildExposition } from './metrics/exposition.js';
import { buildApp } from './server/app.js';
import { releaseStartupPages } from './runtime/releaseStartupPages.js';
import { createLogger } from './server/logger.js';
import type { WebSecurity } from './server/webSecurity.js';
import { SnapshotPoller } from './snapshot/poller.js';
import { selectSocketSources } from './sources/selectSocketSource.js';
import { BUILD_INFO } from './version.js';

/**
 * Collection runs on the main thread: the kernel's part of a netlink walk runs on libuv pool
 * threads (see sources/netlink/dump.ts) and parsing yields after every datagram, so scrapes keep
 * answering during a million-socket walk without a second V8 isolate (docs/design.md).
 */
async function buildPoller(config: ExporterConfig, log: Logger): Promise<SnapshotPoller> {
  const sources = await selectSocketSources(config.source, config.procfs, log);
  if (config.collectors.has('sockets')) {
    if (sources.primary.reportsKernelDetail) log.info({ source: sources.primary.name, fallback: sources.fallback?.name, procfs: config.procfs }, 'socket source selected');
    else log.warn({ source: sources.primary.name }, 'no kernel socket table under --path.procfs: using systeminformation (states and ports only, no queues or timers)');
  }
  const collectors = buildCollectors({
    enabled: config.collectors,
    sockets: { sources, portLimits: config.portLimits, ephemeral: config.ephemeral, hysteresis: config.seriesHysteresis },
    processes: config.processes,
    netns: config.netns,
  });
  return new SnapshotPoller(collectors, { procfs: config.procfs, log }, config.intervalMs);
}

async function snapshotCommand(config: ExporterConfig): Promise<number> {
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, config.logFormat);
  const poller = await buildPoller(config, log);
  const snapshot = await poller.collectOnce();
  process.stdout.write(config.snapshotFormat === 'json' ? renderSnapshotJson(snapshot) : renderSnapshotTable(snapshot));
  return Object.values(snapshot.status).every((s) => s.success) ? 0 : 1;
}

async function serveCommand(config: ExporterConfig): Promise<void> {
  const log = createLogger(config.logLevel, config.logFormat);
  let security: WebSecurity | undefined;
  if (config.webConfigFile !== undefined) {
    try {
      // Loaded only when asked for: YAML and bcrypt cost every other exporter ~3 MB for nothing.
      const { WebSecurity: Security } = await import('./server/webSecurity.js');
      security = await Security.load(config.webConfigFile);
    } catch (err) {
      // A bad file at start is a clear error, never a server without the protection asked for.
      process.stderr.write(`tcpstate-exporter: error: --web.config.file: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
      return;
    }
  }
  const poller = await buildPoller(config, log);
  const exposition = buildExposition(metricCatalog(BUILD_INFO, config.collectors), poller, { processMetrics: true });
  const app = buildApp({
    exposition,
    snapshots: poller,
    telemetryPath: config.telemetryPath,
    build: BUILD_INFO,
    logger: log,
    onClose: () => poller.stop(),
    ...(security ? { security } : {}),
    maxRequests: config.maxRequests,
  });
  security?.watch(app, log);

  const { host, port } = config.listenAddress;
  let url: string;
  try {
    url = await app.listen({ host: host === '' ? '::' : host, port });
  } catch (err) {
    // "::" fails where IPv6 is disabled; every interface then means every IPv4 interface.
    if (host === '' && (err as { code?: string }).code === 'EAFNOSUPPORT') url = await app.listen({ host: '0.0.0.0', port });
    else throw err;
  }
  log.info({ version: BUILD_INFO.version, url, interval_ms: config.intervalMs }, 'tcpstate-exporter listening');
  // Handlers first: a signal from here on is a graceful shutdown, never the default kill.
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    // close() stops accepting, lets in-flight scrapes finish, then runs onClose (poller.stop()).
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  // Startup pages go once everything is loaded, and again after the first collection, which
  // brings in the optimizing compiler; steady state touches neither again.
  const releasePages = async (after: string): Promise<void> => {
    if (!config.releaseStartupPages) return;
    const released = await releaseStartupPages();
    if (released) log.debug({ after, mappings: released.mappings, released_mb: Math.round(released.bytes / 2 ** 20) }, 'released startup-only pages of the node binary');
  };
  await releasePages('listening');
  if (closing) return;
  void poller.start().then(
    async (s) => {
      log.info({ duration_ms: Math.round(s.durationSeconds * 1000) }, 'first collection done');
      await releasePages('first collection');
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
  switch (command) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'version':
      process.stdout.write(`tcpstate-exporter ${BUILD_INFO.version} (Node.js ${BUILD_INFO.nodeVersion})\n`);
      return 0;
    case 'snapshot':
      return snapshotCommand(config);
    case 'serve':
      await serveCommand(config);
      return undefined;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`tcpstate-exporter: fatal: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
