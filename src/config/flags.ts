import { DEFAULT_SERIES_HYSTERESIS } from '../aggregate/portSeries.js';
import { DEFAULT_PORT_LIMITS } from '../aggregate/socketSummary.js';
import { COLLECTOR_NAMES, COLLECTOR_TABLE, type CollectorName } from '../collectors/index.js';
import { DEFAULT_CONNECTIONS_OPTIONS, DEFAULT_EPHEMERAL_OPTIONS, DEFAULT_NETNS_OPTIONS, DEFAULT_PROCESS_OPTIONS } from '../collectors/options.js';
import { MIN_DEFAULT_TIMEOUT_MS } from '../snapshot/deadline.js';

/**
 * One command-line flag: what node:util's parseArgs needs (`type`, `multiple`, `short`,
 * `default`; it ignores the other keys) and what `--help` says about it. Each flag is described
 * here and nowhere else in the code: `--help` is rendered from these.
 */
export interface FlagSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  default?: string | string[];
  /** Placeholder of the value in `--help`, e.g. `DIR` in `--path.procfs=DIR`; string flags only. */
  arg?: string;
  /** What the flag does, for `--help` (which wraps it). Never empty. */
  help: string;
  /** The default as `--help` states it, where parseArgs has none (the command decides it) or it reads better. */
  shownDefault?: string;
  /** A boolean with a `no-` twin (`--collector.x` / `--no-collector.x`): `--help` shows `--[no-]name`. */
  negatable?: boolean;
  /**
   * The collectors without which the flag has no effect (a warning at start, config/inertFlags.ts),
   * where its name does not say it: `collector.X.option` needs collector X unless this says otherwise;
   * `collector.X` itself, the collectors X fails without (its row's `needs`, collectors/index.ts).
   */
  needs?: readonly CollectorName[];
  /** Collectors of which any one gives the flag an effect: it is inert only when all are off. */
  needsAnyOf?: readonly CollectorName[];
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

/** Every flag but the per-collector ones, in the order `--help` lists them. */
export const FLAGS = {
  'web.listen-address': {
    type: 'string',
    multiple: true,
    default: [DEFAULTS.listenAddress] as string[],
    arg: 'HOST:PORT',
    help: 'address to serve on; ":PORT" is every interface, "[::1]:PORT" works; repeat it to serve on several',
  },
  'web.systemd-socket': {
    type: 'boolean',
    help: 'serve on the sockets systemd passes (socket activation, LISTEN_FDS: a .socket unit, deploy/systemd) instead of --web.listen-address',
  },
  'web.telemetry-path': { type: 'string', default: DEFAULTS.telemetryPath, arg: 'PATH', help: 'path of the metrics endpoint' },
  'web.config.file': {
    type: 'string',
    arg: 'FILE',
    help: 'TLS, basic auth, headers, HTTP/2 and rate limit: the Prometheus exporter-toolkit format, every key; re-read when it changes (docs/security.md)',
  },
  'web.max-requests': { type: 'string', default: '40', arg: 'N', help: 'requests served at once; more get 503 at once; 0: no limit' },
  'web.disable-exporter-metrics': { type: 'boolean', help: 'leave out the metrics about the exporter process (process_*, nodejs_*)' },
  'path.procfs': { type: 'string', default: DEFAULTS.procfs, arg: 'DIR', help: 'procfs mount point; a fixture tree (test/fixtures/proc) runs without a kernel' },
  // No parseArgs default: `watch` has its own, so whether the flag was given must show.
  'collector.interval': {
    type: 'string',
    arg: 'DURATION',
    help: 'time between collections, e.g. 500ms, 15s, 1m; scrapes never trigger one',
    shownDefault: `${DEFAULTS.interval}; watch: ${DEFAULTS.watchInterval}`,
  },
  'collector.timeout': {
    type: 'string',
    arg: 'DURATION',
    help: 'time each collector may take; past it, it fails with reason "timeout" and the cycle is published without it',
    shownDefault: `the interval, at least ${MIN_DEFAULT_TIMEOUT_MS / 1000}s`,
  },
  'collector.source': {
    type: 'string',
    default: DEFAULTS.source,
    arg: 'SOURCE',
    help: 'socket table source: netlink, procfs, systeminformation, or auto: on Linux netlink with procfs as per-cycle fallback',
  },
  'collector.disable-defaults': { type: 'boolean', help: 'every collector off unless enabled by name with --collector.<name>' },
  'collector.ports.max-server': {
    needsAnyOf: ['sockets', 'connections'],
    type: 'string',
    default: String(DEFAULT_PORT_LIMITS.maxServerPorts),
    arg: 'N',
    help: 'listening ports reported by number, busiest first; the rest as port="other"',
  },
  'collector.ports.top-client': {
    needsAnyOf: ['sockets', 'connections'],
    type: 'string',
    default: String(DEFAULT_PORT_LIMITS.topClientPorts),
    arg: 'N',
    help: 'remote ports of outgoing connections reported by number, busiest first',
  },
  'collector.ports.pin': {
    needsAnyOf: ['sockets', 'connections'],
    type: 'string',
    multiple: true,
    default: [] as string[],
    arg: 'PORT[,PORT]',
    help: 'ports always reported in both roles, even at zero, never folded (repeatable)',
  },
  'collector.ports.ephemeral-by-number': {
    needsAnyOf: ['sockets', 'connections', 'netns'],
    type: 'boolean',
    help: 'report ports inside ip_local_port_range by number like the rest, instead of summing them in port="ephemeral" (snapshot and watch always do)',
  },
  // No parseArgs default: `snapshot` and `watch` (a person, no series to churn) admit at once.
  'collector.series.admit-cycles': {
    needsAnyOf: ['sockets', 'connections'],
    type: 'string',
    arg: 'N',
    help: 'cycles a new port or destination must stay among the busiest before it gets series of its own; those in use at the first cycle get them at once',
    shownDefault: `${DEFAULT_SERIES_HYSTERESIS.admitCycles}; snapshot and watch: 0`,
  },
  'collector.series.keep-cycles': {
    needsAnyOf: ['sockets', 'connections'],
    type: 'string',
    default: String(DEFAULT_SERIES_HYSTERESIS.keepCycles),
    arg: 'N',
    help: 'cycles a port or destination keeps its series after its last use, and holds them before one twice as busy may take over (a destination with half as many ports left, sooner); 0: no memory',
  },
  'collector.ephemeral.top-destinations': {
    type: 'string',
    default: String(DEFAULT_EPHEMERAL_OPTIONS.topDestinations),
    arg: 'N',
    needs: ['sockets'],
    help: 'busiest destinations (remote address and port) reported with the ephemeral ports they hold',
  },
  'collector.ephemeral.remote-address': {
    type: 'boolean',
    negatable: true,
    needs: ['sockets'],
    help: 'the remote address in those series; off: rank and remote port only',
    shownDefault: 'on',
  },
  'collector.processes.interval': {
    type: 'string',
    default: `${DEFAULT_PROCESS_OPTIONS.intervalMs / 1000}s`,
    arg: 'DURATION',
    help: 'time between process scans, apart from --collector.interval',
  },
  'collector.processes.top': { type: 'string', default: String(DEFAULT_PROCESS_OPTIONS.top), arg: 'N', help: 'processes reported per state, most sockets first' },
  'collector.processes.pid': { type: 'boolean', help: 'add a pid label: one series per process instead of per process name' },
  'collector.netns.max': { type: 'string', default: String(DEFAULT_NETNS_OPTIONS.max), arg: 'N', help: "network namespaces collected per cycle, the host's first" },
  'collector.netns.ports': {
    type: 'boolean',
    help: `per-namespace port series too (${DEFAULT_NETNS_OPTIONS.serverPorts} server and ${DEFAULT_NETNS_OPTIONS.clientPorts} client ports each), not only state totals`,
  },
  'collector.connections.receive-buffer': {
    type: 'string',
    default: String(DEFAULT_CONNECTIONS_OPTIONS.receiveBufferBytes),
    arg: 'BYTES',
    help: 'receive buffer asked for the socket destroy events, 4096 to 1073741824; the kernel grants twice this, capped by net.core.rmem_max without CAP_NET_ADMIN; too small loses events (counted in tcpstate_connection_events_lost_total)',
  },
  'collector.netns.receive-buffer': {
    type: 'string',
    default: String(DEFAULT_NETNS_OPTIONS.receiveBufferBytes),
    arg: 'BYTES',
    needs: ['netns', 'connections'],
    help: 'with --collector.netns and --collector.connections: receive buffer asked for the socket destroy events of each other namespace, 4096 to 1073741824; too small loses events (tcpstate_netns_connection_events_lost_total), and every collected namespace may hold this much while events pile up',
  },
  'log.level': { type: 'string', default: DEFAULTS.logLevel, arg: 'LEVEL', help: 'debug, info, warn or error' },
  'log.format': { type: 'string', default: DEFAULTS.logFormat, arg: 'FORMAT', help: 'logfmt or json; logs go to stderr' },
  format: { type: 'string', default: 'table', arg: 'FORMAT', help: 'output of the snapshot command: table or json' },
  wide: { type: 'boolean', help: 'snapshot and watch: every state column, lines longer than 100 columns' },
  help: { type: 'boolean', short: 'h', help: 'print this help and exit' },
  version: { type: 'boolean', help: 'print the version and exit' },
} as const satisfies Record<string, FlagSpec>;

/** `--collector.<name>` for every collector of the table (src/collectors/index.ts), each with its `--no-` twin. */
export const COLLECTOR_FLAGS: Readonly<Record<string, FlagSpec>> = Object.fromEntries(
  COLLECTOR_NAMES.map((name) => {
    const { description, defaultOn, needs } = COLLECTOR_TABLE[name];
    const spec: FlagSpec = { type: 'boolean', negatable: true, help: `${description}${defaultOn ? '' : `; ${COLLECTOR_TABLE[name].offBecause ?? 'walks every process'}`}`, shownDefault: defaultOn ? 'on' : 'off' };
    return [`collector.${name}`, needs ? { ...spec, needs } : spec];
  }),
);

/** The per-collector flags and every `no-` twin: all booleans, read through onOff(). */
const BOOLEAN_TWINS: Readonly<Record<string, { type: 'boolean' }>> = Object.fromEntries(
  Object.entries({ ...FLAGS, ...COLLECTOR_FLAGS } as Record<string, FlagSpec>).flatMap(([name, spec]) => [
    ...(name in FLAGS ? [] : [name]),
    ...(spec.negatable ? [`no-${name}`] : []),
  ]).map((name) => [name, { type: 'boolean' }]),
);

/** What parseArgs is given: FLAGS (whose literal types type the parsed values) and the boolean twins. */
export const PARSE_OPTIONS = { ...FLAGS, ...BOOLEAN_TWINS };

const WIDTH = 100;
const HELP_COLUMN = 36;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/** One flag's entry in `--help`: the flag (with its value or `[no-]`), then its help and default, wrapped at 100 columns. */
export function renderFlag(name: string, spec: FlagSpec): string {
  if (spec.help.trim() === '') throw new Error(`flag --${name} has no help text`);
  const shown = `${spec.short ? `-${spec.short}, ` : ''}--${spec.negatable ? '[no-]' : ''}${name}${spec.arg ? `=${spec.arg}` : ''}`;
  const fallback = Array.isArray(spec.default) ? spec.default.join(',') : spec.default;
  const dflt = spec.shownDefault ?? (fallback || undefined);
  const text = wrap(`${spec.help}${dflt === undefined ? '' : ` (default: ${dflt})`}`, WIDTH - HELP_COLUMN);
  const head = `  ${shown}`;
  const pad = ' '.repeat(HELP_COLUMN);
  const first = head.length < HELP_COLUMN - 1 ? [`${head.padEnd(HELP_COLUMN)}${text.shift()}`] : [head];
  return [...first, ...text.map((l) => `${pad}${l}`)].join('\n');
}

/** The whole `--help` text: commands, then every flag of FLAGS and COLLECTOR_FLAGS. */
export function renderUsage(): string {
  return `usage: tcpstate-exporter [serve|snapshot|watch] [flags]

Commands:
  serve      run the exporter (default)
  snapshot   collect once and print the aggregation (--format table|json; with --collector.processes,
             the processes holding sockets in each state); exit 1 if a collector failed
  watch      redraw the snapshot table every --collector.interval (default ${DEFAULTS.watchInterval} here) with each
             port's changes since the last draw; Ctrl-C ends it

Flags:
${Object.entries(FLAGS as Record<string, FlagSpec>)
  .map(([name, spec]) => renderFlag(name, spec))
  .join('\n')}

Collectors (--collector.<name> turns one on, --no-collector.<name> off):
${Object.entries(COLLECTOR_FLAGS)
  .map(([name, spec]) => renderFlag(name, spec))
  .join('\n')}
`;
}
