import { parseArgs } from 'node:util';
import { DEFAULT_PORT_LIMITS, type PortLimits } from './aggregate/socketSummary.js';
import { COLLECTOR_NAMES, type CollectorName } from './collectors/index.js';
import { parseDurationMs } from './config/duration.js';
import { parseListenAddress, type ListenAddress } from './config/listenAddress.js';

export type LogFormat = 'logfmt' | 'json';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type SourceChoice = 'auto' | 'netlink' | 'procfs' | 'systeminformation';
export type Command = 'serve' | 'snapshot' | 'help' | 'version';

export interface ExporterConfig {
  listenAddress: ListenAddress;
  telemetryPath: string;
  procfs: string;
  intervalMs: number;
  source: SourceChoice;
  portLimits: PortLimits;
  collectors: ReadonlySet<CollectorName>;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** `snapshot` command only. */
  snapshotFormat: 'table' | 'json';
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
  'web.listen-address': { type: 'string', default: DEFAULTS.listenAddress },
  'web.telemetry-path': { type: 'string', default: DEFAULTS.telemetryPath },
  'path.procfs': { type: 'string', default: DEFAULTS.procfs },
  'collector.interval': { type: 'string', default: DEFAULTS.interval },
  'collector.source': { type: 'string', default: DEFAULTS.source },
  'collector.ports.max-server': { type: 'string', default: String(DEFAULT_PORT_LIMITS.maxServerPorts) },
  'collector.ports.top-client': { type: 'string', default: String(DEFAULT_PORT_LIMITS.topClientPorts) },
  'collector.ports.pin': { type: 'string', multiple: true, default: [] as string[] },
  'log.level': { type: 'string', default: DEFAULTS.logLevel },
  'log.format': { type: 'string', default: DEFAULTS.logFormat },
  format: { type: 'string', default: 'table' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  ...collectorFlags,
} as const;

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag}: "${value}" is not one of ${allowed.join(', ')}`);
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
  const command: Command = values.help ? 'help' : values.version ? 'version' : oneOf('command', commandWord, ['serve', 'snapshot']);

  const listenAddress = parseListenAddress(values['web.listen-address']);
  if (!listenAddress) throw new UsageError(`--web.listen-address: "${values['web.listen-address']}" is not host:port`);
  const telemetryPath = values['web.telemetry-path'];
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(telemetryPath) || telemetryPath === '/' || ['/healthz', '/readyz'].includes(telemetryPath)) {
    throw new UsageError(`--web.telemetry-path: "${telemetryPath}" must be a path like /metrics, other than /, /healthz and /readyz`);
  }
  const intervalMs = parseDurationMs(values['collector.interval']);
  if (intervalMs === null || intervalMs < MIN_INTERVAL_MS) {
    throw new UsageError(`--collector.interval: "${values['collector.interval']}" is not a duration of at least 100ms (e.g. 15s, 1m)`);
  }
  if (values['path.procfs'] === '') throw new UsageError('--path.procfs: must not be empty');

  const pinnedPorts = values['collector.ports.pin']
    .flatMap((v) => v.split(','))
    .filter((v) => v.trim() !== '')
    .map((v) => intInRange('collector.ports.pin', v.trim(), 1, 65535));

  const collectors = new Set<CollectorName>();
  const flags = values as Record<string, unknown>;
  for (const name of COLLECTOR_NAMES) {
    const on = flags[`collector.${name}`] === true;
    const off = flags[`no-collector.${name}`] === true;
    if (on && off) throw new UsageError(`--collector.${name} and --no-collector.${name} both given`);
    if (!off) collectors.add(name);
  }

  return {
    command,
    config: {
      listenAddress,
      telemetryPath,
      procfs: values['path.procfs'],
      intervalMs,
      source: oneOf('collector.source', values['collector.source'], ['auto', 'netlink', 'procfs', 'systeminformation']),
      portLimits: {
        maxServerPorts: intInRange('collector.ports.max-server', values['collector.ports.max-server'], 0, 10000),
        topClientPorts: intInRange('collector.ports.top-client', values['collector.ports.top-client'], 0, 10000),
        pinnedPorts: [...new Set(pinnedPorts)],
      },
      collectors,
      logLevel: oneOf('log.level', values['log.level'], ['debug', 'info', 'warn', 'error']),
      logFormat: oneOf('log.format', values['log.format'], ['logfmt', 'json']),
      snapshotFormat: oneOf('format', values.format, ['table', 'json']),
    },
  };
}

export const USAGE = `usage: tcpstate-exporter [serve|snapshot] [flags]

Commands:
  serve      run the exporter (default)
  snapshot   collect once and print the aggregation (--format table|json)

Flags:
  --web.listen-address=HOST:PORT    address to serve on (default "${DEFAULTS.listenAddress}", all interfaces)
  --web.telemetry-path=PATH         path of the metrics endpoint (default "${DEFAULTS.telemetryPath}")
  --path.procfs=DIR                 procfs mount point (default "${DEFAULTS.procfs}")
  --collector.interval=DURATION     time between collections, e.g. 15s, 1m (default "${DEFAULTS.interval}")
  --collector.source=SOURCE         socket table source: auto, netlink, procfs, systeminformation (default "auto":
                                    netlink on Linux with procfs as fallback)
  --collector.ports.max-server=N    listening ports reported by number, the rest as port="other" (default ${DEFAULT_PORT_LIMITS.maxServerPorts})
  --collector.ports.top-client=N    remote ports of outgoing connections reported, busiest first (default ${DEFAULT_PORT_LIMITS.topClientPorts})
  --collector.ports.pin=PORT[,..]   ports always reported in both roles (repeatable)
  --collector.<name> / --no-collector.<name>
                                    enable or disable a collector (all on by default): ${COLLECTOR_NAMES.join(', ')}
  --log.level=LEVEL                 debug, info, warn, error (default "${DEFAULTS.logLevel}")
  --log.format=FORMAT               logfmt or json (default "${DEFAULTS.logFormat}")
  --format=FORMAT                   snapshot output: table or json (default "table")
  -h, --help                        show this help
  --version                         show the version
`;
