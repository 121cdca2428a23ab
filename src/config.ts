import { parseArgs } from 'node:util';
import { DEFAULT_SERIES_HYSTERESIS, type SeriesHysteresis } from './aggregate/portSeries.js';
import { DEFAULT_PORT_LIMITS, type PortLimits } from './aggregate/socketSummary.js';
import { COLLECTOR_NAMES, DEFAULT_OFF_COLLECTORS, type CollectorName } from './collectors/index.js';
import { DEFAULT_NETNS_OPTIONS, DEFAULT_PROCESS_OPTIONS, type NetnsOptions, type ProcessOptions } from './collectors/options.js';
import { DEFAULT_EPHEMERAL_OPTIONS, type EphemeralOptions } from './collectors/socketsCollector.js';
import { parseDurationMs } from './config/duration.js';
import { parseListenAddress, type ListenAddress } from './config/listenAddress.js';
import { defaultCollectorTimeoutMs, MIN_DEFAULT_TIMEOUT_MS } from './snapshot/deadline.js';

export type LogFormat = 'logfmt' | 'json';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type SourceChoice = 'auto' | 'netlink' | 'procfs' | 'systeminformation';
export type Command = 'serve' | 'snapshot' | 'watch' | 'help' | 'version';

export interface ExporterConfig {
  /** Every --web.listen-address (repeatable, as in node_exporter); unused with systemdSocket. */
  listenAddresses: readonly ListenAddress[];
  /** --web.systemd-socket: listen on the sockets systemd passes (LISTEN_FDS) instead. */
  systemdSocket: boolean;
  telemetryPath: string;
  /** --web.config.file: TLS, basic auth and headers (exporter-toolkit format); undefined: none. */
  webConfigFile: string | undefined;
  /** Requests served at once; 0: no limit. */
  maxRequests: number;
  /** --web.disable-exporter-metrics: no process_* and nodejs_* families. */
  disableExporterMetrics: boolean;
  procfs: string;
  intervalMs: number;
  /** --collector.timeout: how long each collector may take before it fails with reason "timeout". */
  collectorTimeoutMs: number;
  source: SourceChoice;
  portLimits: PortLimits;
  /** Cycles before a port or destination gets series of its own, and cycles it keeps them. */
  seriesHysteresis: SeriesHysteresis;
  ephemeral: EphemeralOptions;
  processes: ProcessOptions;
  netns: NetnsOptions;
  collectors: ReadonlySet<CollectorName>;
  /** Drop the Node.js binary's startup-only pages from the resident set (src/runtime/releaseStartupPages.ts). */
  releaseStartupPages: boolean;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** `snapshot` command only. */
  snapshotFormat: 'table' | 'json';
  /** `snapshot` and `watch`: every state column and no 100-column limit. */
  wide: boolean;
}

export interface ParsedCommandLine {
  command: Command;
  config: ExporterConfig;
}

/** A bad flag or value: reported as one line and exit code 2, never as a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const DEFAULTS = {
  listenAddress: ':9816',
  telemetryPath: '/metrics',
  procfs: '/proc',
  interval: '15s',
  /** `watch` redraws this often unless --collector.interval is given. */
  watchInterval: '2s',
  source: 'auto',
  logLevel: 'info',
  logFormat: 'logfmt',
} as const;

const MIN_INTERVAL_MS = 100;

const collectorFlags = Object.fromEntries(
  COLLECTOR_NAMES.flatMap((n) => [
    [`collector.${n}`, { type: 'boolean' as const }],
    [`no-collector.${n}`, { type: 'boolean' as const }],
  ]),
);

const OPTIONS = {
  'web.listen-address': { type: 'string', multiple: true, default: [DEFAULTS.listenAddress] as string[] },
  'web.systemd-socket': { type: 'boolean' },
  'web.disable-exporter-metrics': { type: 'boolean' },
  'web.telemetry-path': { type: 'string', default: DEFAULTS.telemetryPath },
  'web.config.file': { type: 'string' },
  'web.max-requests': { type: 'string', default: '40' },
  'path.procfs': { type: 'string', default: DEFAULTS.procfs },
  // No default here: `watch` has its own, so whether the flag was given must show.
  'collector.interval': { type: 'string' },
  'collector.timeout': { type: 'string' },
  'collector.disable-defaults': { type: 'boolean' },
  'collector.source': { type: 'string', default: DEFAULTS.source },
  'collector.ports.max-server': { type: 'string', default: String(DEFAULT_PORT_LIMITS.maxServerPorts) },
  'collector.ports.top-client': { type: 'string', default: String(DEFAULT_PORT_LIMITS.topClientPorts) },
  'collector.ports.pin': { type: 'string', multiple: true, default: [] as string[] },
  'collector.ports.ephemeral-by-number': { type: 'boolean' },
  // No default here: `snapshot` and `watch` (a person, no series to churn) admit at once.
  'collector.series.admit-cycles': { type: 'string' },
  'collector.series.keep-cycles': { type: 'string', default: String(DEFAULT_SERIES_HYSTERESIS.keepCycles) },
  'collector.ephemeral.top-destinations': { type: 'string', default: String(DEFAULT_EPHEMERAL_OPTIONS.topDestinations) },
  'collector.ephemeral.remote-address': { type: 'boolean' },
  'no-collector.ephemeral.remote-address': { type: 'boolean' },
  'collector.processes.interval': { type: 'string', default: `${DEFAULT_PROCESS_OPTIONS.intervalMs / 1000}s` },
  'collector.processes.top': { type: 'string', default: String(DEFAULT_PROCESS_OPTIONS.top) },
  'collector.processes.pid': { type: 'boolean' },
  'collector.netns.max': { type: 'string', default: String(DEFAULT_NETNS_OPTIONS.max) },
  'collector.netns.ports': { type: 'boolean' },
  'runtime.release-startup-pages': { type: 'boolean' },
  'no-runtime.release-startup-pages': { type: 'boolean' },
  'log.level': { type: 'string', default: DEFAULTS.logLevel },
  'log.format': { type: 'string', default: DEFAULTS.logFormat },
  format: { type: 'string', default: 'table' },
  wide: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  ...collectorFlags,
} as const;

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag}: "${value}" is not one of ${allowed.join(', ')}`);
}

/** A --name / --no-name pair: the default unless one is given; both given is a usage error. */
function onOff(flags: Record<string, unknown>, name: string, defaultOn: boolean): boolean {
  const on = flags[name] === true;
  const off = flags[`no-${name}`] === true;
  if (on && off) throw new UsageError(`--${name} and --no-${name} both given`);
  return on || (!off && defaultOn);
}

function intInRange(flag: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`--${flag}: "${value}" is not a whole number from ${min} to ${max}`);
  return n;
}

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.replace(/\. To specify a positional.*$/s, '') : String(err));
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const commandWord = positionals[0] ?? 'serve';
  const command: Command = values.help ? 'help' : values.version ? 'version' : oneOf('command', commandWord, ['serve', 'snapshot', 'watch']);

  const listenAddresses = values['web.listen-address'].map((text, i, all) => {
    const address = parseListenAddress(text);
    if (!address) throw new UsageError(`--web.listen-address: "${text}" is not host:port`);
    if (all.indexOf(text) !== i) throw new UsageError(`--web.listen-address: "${text}" given twice`);
    return address;
  });
  const telemetryPath = values['web.telemetry-path'];
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(telemetryPath) || telemetryPath === '/' || ['/healthz', '/readyz'].includes(telemetryPath)) {
    throw new UsageError(`--web.telemetry-path: "${telemetryPath}" must be a path like /metrics, other than /, /healthz and /readyz`);
  }
  const intervalText = values['collector.interval'] ?? (command === 'watch' ? DEFAULTS.watchInterval : DEFAULTS.interval);
  const intervalMs = parseDurationMs(intervalText);
  if (intervalMs === null || intervalMs < MIN_INTERVAL_MS) {
    throw new UsageError(`--collector.interval: "${intervalText}" is not a duration of at least 100ms (e.g. 15s, 1m)`);
  }
  const timeoutText = values['collector.timeout'];
  const collectorTimeoutMs = timeoutText === undefined ? defaultCollectorTimeoutMs(intervalMs) : parseDurationMs(timeoutText);
  if (collectorTimeoutMs === null || collectorTimeoutMs < MIN_INTERVAL_MS) {
    throw new UsageError(`--collector.timeout: "${timeoutText}" is not a duration of at least 100ms (e.g. 10s)`);
  }
  if (values['path.procfs'] === '') throw new UsageError('--path.procfs: must not be empty');

  const pinnedPorts = values['collector.ports.pin']
    .flatMap((v) => v.split(','))
    .filter((v) => v.trim() !== '')
    .map((v) => intInRange('collector.ports.pin', v.trim(), 1, 65535));

  const collectors = new Set<CollectorName>();
  const flags = values as Record<string, unknown>;
  // --collector.disable-defaults, as in node_exporter: only collectors enabled by name run.
  const defaultsOff = values['collector.disable-defaults'] === true;
  for (const name of COLLECTOR_NAMES) {
    if (onOff(flags, `collector.${name}`, !defaultsOff && !DEFAULT_OFF_COLLECTORS.has(name))) collectors.add(name);
  }
  const processesIntervalMs = parseDurationMs(values['collector.processes.interval']);
  if (processesIntervalMs === null || processesIntervalMs < MIN_INTERVAL_MS) {
    throw new UsageError(`--collector.processes.interval: "${values['collector.processes.interval']}" is not a duration of at least 100ms (e.g. 1m)`);
  }

  return {
    command,
    config: {
      listenAddresses,
      systemdSocket: values['web.systemd-socket'] === true,
      telemetryPath,
      webConfigFile: values['web.config.file'] === '' ? undefined : values['web.config.file'],
      maxRequests: intInRange('web.max-requests', values['web.max-requests'], 0, 100_000),
      disableExporterMetrics: values['web.disable-exporter-metrics'] === true,
      procfs: values['path.procfs'],
      intervalMs,
      collectorTimeoutMs,
      source: oneOf('collector.source', values['collector.source'], ['auto', 'netlink', 'procfs', 'systeminformation']),
      portLimits: {
        maxServerPorts: intInRange('collector.ports.max-server', values['collector.ports.max-server'], 0, 10000),
        topClientPorts: intInRange('collector.ports.top-client', values['collector.ports.top-client'], 0, 10000),
        pinnedPorts: [...new Set(pinnedPorts)],
        // Folding kernel-chosen ports bounds Prometheus series; a person at `snapshot`/`watch` wants the number.
        ephemeralPorts: values['collector.ports.ephemeral-by-number'] === true || command !== 'serve' ? 'number' : 'fold',
      },
      seriesHysteresis: {
        admitCycles: intInRange('collector.series.admit-cycles', values['collector.series.admit-cycles'] ?? (command === 'serve' ? String(DEFAULT_SERIES_HYSTERESIS.admitCycles) : '0'), 0, 10_000),
        keepCycles: intInRange('collector.series.keep-cycles', values['collector.series.keep-cycles'], 0, 1_000_000),
      },
      ephemeral: {
        topDestinations: intInRange('collector.ephemeral.top-destinations', values['collector.ephemeral.top-destinations'], 0, 100),
        remoteAddresses: onOff(flags, 'collector.ephemeral.remote-address', true),
      },
      processes: {
        intervalMs: processesIntervalMs,
        top: intInRange('collector.processes.top', values['collector.processes.top'], 1, 100),
        pids: values['collector.processes.pid'] === true,
      },
      netns: {
        ...DEFAULT_NETNS_OPTIONS,
        max: intInRange('collector.netns.max', values['collector.netns.max'], 1, 10000),
        ports: values['collector.netns.ports'] === true,
      },
      collectors,
      releaseStartupPages: onOff(flags, 'runtime.release-startup-pages', true),
      logLevel: oneOf('log.level', values['log.level'], ['debug', 'info', 'warn', 'error']),
      logFormat: oneOf('log.format', values['log.format'], ['logfmt', 'json']),
      snapshotFormat: oneOf('format', values.format, ['table', 'json']),
      wide: values.wide === true,
    },
  };
}

export const USAGE = `usage: tcpstate-exporter [serve|snapshot|watch] [flags]

Commands:
  serve      run the exporter (default)
  snapshot   collect once and print the aggregation (--format table|json; with --collector.processes,
             the processes holding sockets in each state)
  watch      redraw the snapshot table every --collector.interval (default ${DEFAULTS.watchInterval} here) with each
             port's changes since the last draw; Ctrl-C ends it

Flags:
  --web.listen-address=HOST:PORT    address to serve on (default "${DEFAULTS.listenAddress}", all interfaces); repeat it to
                                    serve on several
  --web.systemd-socket              serve on the sockets systemd passes (socket activation: a .socket unit,
                                    deploy/systemd) instead of --web.listen-address
  --web.telemetry-path=PATH         path of the metrics endpoint (default "${DEFAULTS.telemetryPath}")
  --web.config.file=FILE            TLS, basic auth, headers, HTTP/2 and rate limit: the Prometheus
                                    exporter-toolkit format, every key (re-read when it changes; docs/security.md)
  --web.max-requests=N              requests served at once, more get 503 (default 40; 0: no limit)
  --web.disable-exporter-metrics    leave out the metrics about the exporter process (process_*, nodejs_*)
  --path.procfs=DIR                 procfs mount point (default "${DEFAULTS.procfs}")
  --collector.interval=DURATION     time between collections, e.g. 15s, 1m (default "${DEFAULTS.interval}")
  --collector.timeout=DURATION      time each collector may take; past it, it fails with reason "timeout" and the
                                    cycle is published without it (default: the interval, at least ${MIN_DEFAULT_TIMEOUT_MS / 1000}s)
  --collector.source=SOURCE         socket table source: auto, netlink, procfs, systeminformation (default "auto":
                                    netlink on Linux with procfs as fallback)
  --collector.ports.max-server=N    listening ports reported by number, the rest as port="other" (default ${DEFAULT_PORT_LIMITS.maxServerPorts})
  --collector.ports.top-client=N    remote ports of outgoing connections reported, busiest first (default ${DEFAULT_PORT_LIMITS.topClientPorts})
  --collector.ports.pin=PORT[,..]   ports always reported in both roles, never folded (repeatable)
  --collector.ports.ephemeral-by-number
                                    report ports inside ip_local_port_range by number like the rest, instead of
                                    summing them in port="ephemeral" (snapshot and watch always do)
  --collector.series.admit-cycles=N cycles a new port or destination must stay busy before it gets series of its
                                    own (default ${DEFAULT_SERIES_HYSTERESIS.admitCycles}, 0 for snapshot and watch; those in use at the first cycle get them at once)
  --collector.series.keep-cycles=N  cycles a port or destination keeps its series after its last use, and holds
                                    them before one twice as busy may take over (default ${DEFAULT_SERIES_HYSTERESIS.keepCycles}; 0: no memory)
  --collector.ephemeral.top-destinations=N
                                    busiest destinations reported with their ephemeral ports in use (default ${DEFAULT_EPHEMERAL_OPTIONS.topDestinations})
  --no-collector.ephemeral.remote-address
                                    leave the remote address out of those series (rank and remote port only)
  --collector.<name> / --no-collector.<name>
                                    enable or disable a collector: ${COLLECTOR_NAMES.filter((n) => !DEFAULT_OFF_COLLECTORS.has(n)).join(', ')} (on by default),
                                    ${[...DEFAULT_OFF_COLLECTORS].join(', ')} (off by default: each walks every process)
  --collector.disable-defaults      every collector off unless enabled by name with --collector.<name>
  --collector.processes.interval=DURATION
                                    time between process scans, apart from --collector.interval (default "${DEFAULT_PROCESS_OPTIONS.intervalMs / 1000}s")
  --collector.processes.top=N       processes reported per state, most sockets first (default ${DEFAULT_PROCESS_OPTIONS.top})
  --collector.processes.pid         add a pid label (one series per process instead of per process name)
  --collector.netns.max=N           network namespaces collected, the host's first (default ${DEFAULT_NETNS_OPTIONS.max})
  --collector.netns.ports           per-namespace port series too (${DEFAULT_NETNS_OPTIONS.serverPorts} server and ${DEFAULT_NETNS_OPTIONS.clientPorts} client ports each), not only state totals
  --no-runtime.release-startup-pages
                                    keep the Node.js binary's startup-only pages resident (by default they are
                                    released once listening and after the first collection: ~20 MB less RSS)
  --log.level=LEVEL                 debug, info, warn, error (default "${DEFAULTS.logLevel}")
  --log.format=FORMAT               logfmt or json (default "${DEFAULTS.logFormat}")
  --format=FORMAT                   snapshot output: table or json (default "table")
  --wide                            snapshot and watch: every state column, lines longer than 100 columns
  -h, --help                        show this help
  --version                         show the version
`;
