import { parseArgs } from 'node:util';
import { DEFAULT_SERIES_HYSTERESIS, type SeriesHysteresis } from './aggregate/portSeries.js';
import type { PortLimits } from './aggregate/socketSummary.js';
import { COLLECTOR_NAMES, DEFAULT_OFF_COLLECTORS, type CollectorName } from './collectors/index.js';
import { DEFAULT_NETNS_OPTIONS, type ConnectionsOptions, type EphemeralOptions, type NetnsOptions, type ProcessOptions } from './collectors/options.js';
import { parseDurationMs } from './config/duration.js';
import { COLLECTOR_FLAGS, DEFAULTS, FLAGS, PARSE_OPTIONS, renderUsage, type FlagSpec } from './config/flags.js';
import { collectorsNeeded, inertFlags, type InertFlag } from './config/inertFlags.js';
import { parseListenAddress, type ListenAddress } from './config/listenAddress.js';
import { errorMessage } from './model/errno.js';
import { defaultCollectorTimeoutMs } from './snapshot/deadline.js';
import type { SocketSourceChoice } from './sources/selectSocketSource.js';

export type LogFormat = 'logfmt' | 'json';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type SourceChoice = SocketSourceChoice;
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
  connections: ConnectionsOptions;
  collectors: ReadonlySet<CollectorName>;
  /** Collector options given while their collector is off: accepted, warned about at start. */
  inertFlags: readonly InertFlag[];
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

export { DEFAULTS } from './config/flags.js';

const MIN_INTERVAL_MS = 100;

const SPECS: Readonly<Record<string, FlagSpec>> = { ...FLAGS, ...COLLECTOR_FLAGS };

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

function commandOf(word: string): 'serve' | 'snapshot' | 'watch' {
  if (word === 'serve' || word === 'snapshot' || word === 'watch') return word;
  throw new UsageError(`"${word}" is not one of serve, snapshot, watch (the command comes before the flags, e.g. tcpstate-exporter snapshot --wide)`);
}

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: PARSE_OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    throw new UsageError(errorMessage(err).replace(/\. To specify a positional.*$/s, ''));
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const commandWord = positionals[0] ?? 'serve';
  const command: Command = values.help ? 'help' : values.version ? 'version' : commandOf(commandWord);

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
    throw new UsageError(`--collector.interval: "${intervalText}" is not a duration from 100ms to 596h (e.g. 15s, 1m)`);
  }
  const timeoutText = values['collector.timeout'];
  const collectorTimeoutMs = timeoutText === undefined ? defaultCollectorTimeoutMs(intervalMs) : parseDurationMs(timeoutText);
  if (collectorTimeoutMs === null || collectorTimeoutMs < MIN_INTERVAL_MS) {
    throw new UsageError(`--collector.timeout: "${timeoutText}" is not a duration from 100ms to 596h (e.g. 10s)`);
  }
  if (values['path.procfs'] === '') throw new UsageError('--path.procfs: must not be empty');

  const pinnedPorts = values['collector.ports.pin']
    .flatMap((v) => v.split(','))
    .map((v) => {
      // "80,,81" or an empty value is a slip in a manifest, not a request for nothing.
      if (v.trim() === '') throw new UsageError(`--collector.ports.pin: "${values['collector.ports.pin'].join(',')}" has an empty entry (a list of ports, e.g. 80,443)`);
      return intInRange('collector.ports.pin', v.trim(), 1, 65535);
    });

  const collectors = new Set<CollectorName>();
  const flags = values as Record<string, unknown>;
  // --collector.disable-defaults, as in node_exporter: only collectors enabled by name run.
  const defaultsOff = values['collector.disable-defaults'] === true;
  for (const name of COLLECTOR_NAMES) {
    if (onOff(flags, `collector.${name}`, !defaultsOff && !DEFAULT_OFF_COLLECTORS.has(name))) collectors.add(name);
  }
  const processesIntervalMs = parseDurationMs(values['collector.processes.interval']);
  if (processesIntervalMs === null || processesIntervalMs < MIN_INTERVAL_MS) {
    throw new UsageError(`--collector.processes.interval: "${values['collector.processes.interval']}" is not a duration from 100ms to 596h (e.g. 1m)`);
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
        receiveBufferBytes: intInRange('collector.netns.receive-buffer', values['collector.netns.receive-buffer'], 4096, 1 << 30),
      },
      connections: {
        receiveBufferBytes: intInRange('collector.connections.receive-buffer', values['collector.connections.receive-buffer'], 4096, 1 << 30),
      },
      collectors,
      inertFlags: inertFlags(
        parsed.tokens.flatMap((t) => (t.kind === 'option' ? [t.name] : [])),
        collectors,
        (name) => ({ all: collectorsNeeded(name, SPECS[name]?.needs), anyOf: SPECS[name]?.needsAnyOf }),
      ),
      logLevel: oneOf('log.level', values['log.level'], ['debug', 'info', 'warn', 'error']),
      logFormat: oneOf('log.format', values['log.format'], ['logfmt', 'json']),
      snapshotFormat: oneOf('format', values.format, ['table', 'json']),
      wide: values.wide === true,
    },
  };
}

/** The `--help` text, rendered from the flags' own descriptions (config/flags.ts). */
export const USAGE = renderUsage();
