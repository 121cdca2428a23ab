import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually, startExporter } from '../../helpers/exporterProcess.js';
import { normalizeExposition } from '../../helpers/exposition.js';
import { CLI, fixture, GOLDEN, REPO_ROOT } from '../../helpers/paths.js';
import { COLLECTOR_NAMES, COLLECTOR_TABLE, DEFAULT_OFF_COLLECTORS } from '../../../src/collectors/index.js';
import { parseCommandLine } from '../../../src/config.js';
import { COLLECTOR_FLAGS, FLAGS, PARSE_OPTIONS, renderFlag, type FlagSpec } from '../../../src/config/flags.js';
import { renderMetricsDoc } from '../../../src/tools/renderMetricsDoc.js';


const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });

describe('bad flags and values', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--bogus'], /Unknown option '--bogus'/],
    [['--web.listen-address=nonsense'], /--web.listen-address: "nonsense" is not host:port/],
    [['--web.listen-address=:99999'], /--web.listen-address/],
    [['--collector.interval=fast'], /--collector.interval: "fast"/],
    [['--collector.interval=10ms'], /from 100ms to 596h/],
    // Longer than a Node.js timer holds (2^31 - 1 ms): it would fire at once.
    [['--collector.interval=600h'], /--collector.interval: "600h" is not a duration from 100ms to 596h/],
    [['--collector.timeout=600h'], /--collector.timeout: "600h" is not a duration from 100ms to 596h/],
    [['--collector.ports.pin=80,,81'], /--collector.ports.pin: "80,,81" has an empty entry/],
    [['--collector.ports.pin='], /--collector.ports.pin: "" has an empty entry/],
    [['--log.level=loud'], /--log.level: "loud" is not one of debug, info, warn, error/],
    [['--log.format=xml'], /--log.format/],
    [['--collector.source=ebpf'], /--collector.source/],
    [['--collector.ports.pin=http'], /--collector.ports.pin: "http"/],
    [['--collector.ports.top-client=-1'], /--collector.ports.top-client/],
    [['--web.telemetry-path=/healthz'], /--web.telemetry-path/],
    [['--collector.snmp', '--no-collector.snmp'], /both given/],
    [['--no-runtime.release-startup-pages'], /Unknown option '--no-runtime.release-startup-pages'/],
    [['--collector.ephemeral.remote-address', '--no-collector.ephemeral.remote-address'], /--collector.ephemeral.remote-address and --no-collector.ephemeral.remote-address both given/],
    [['frobnicate'], /"frobnicate" is not one of serve, snapshot/],
    [['snapshot', '--format=yaml'], /--format/],
  ];
  for (const [args, message] of cases) {
    it(`${args.join(' ')} -> exit 2 with a clear message`, () => {
      const r = run(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });
  }
});

describe('help and version', () => {
  it('--help shows every flag the parser accepts, and no other, each with its help text and default', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    // Entries start at column 3: `  --name=ARG`, `  -h, --help`, `  --[no-]name` (for --name and --no-name).
    const starts = [...r.stdout.matchAll(/^ {2}(?:-\w, )?--(\[no-\])?([\w.-]+)/gm)];
    const shown = starts.flatMap((m) => (m[1] ? [m[2]!, `no-${m[2]!}`] : [m[2]!]));
    expect(shown.sort()).toEqual(Object.keys(PARSE_OPTIONS).sort());
    // Each flag's entry, up to the next one, whitespace collapsed (the help is wrapped).
    const entry = new Map(starts.map((m, i) => [m[2]!, r.stdout.slice(m.index, starts[i + 1]?.index).replace(/\s+/g, ' ')]));
    const specs: Array<[string, FlagSpec]> = Object.entries({ ...(FLAGS as Record<string, FlagSpec>), ...COLLECTOR_FLAGS });
    expect(specs.length).toBeGreaterThanOrEqual(COLLECTOR_NAMES.length + 30);
    for (const [name, spec] of specs) {
      expect(spec.help.trim(), `--${name} has no help`).not.toBe('');
      expect(entry.get(name), `--${name}: its value and help`).toContain(`${name}${spec.arg ? `=${spec.arg}` : ''} ${spec.help.replace(/\s+/g, ' ')}`);
      const dflt = spec.shownDefault ?? (Array.isArray(spec.default) ? spec.default.join(',') : spec.default);
      if (dflt) expect(entry.get(name), `--${name}: its default`).toContain(`(default: ${dflt})`);
    }
  });

  it("the README's flag table has a row for every flag, and none for a flag that is gone", () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('\n## Flags\n'), readme.indexOf('\n## ', readme.indexOf('\n## Flags\n') + 1));
    // A row names its flags in code spans: `--name=ARG`, `--no-name`, `--help` (and `-h`).
    const named = new Set([...table.matchAll(/^\| (.*?) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`--([\w.<>-]+?)(?:=[^`]*)?`/g)].map((f) => f[1]!)));
    for (const [name, spec] of Object.entries(FLAGS as Record<string, FlagSpec>)) {
      expect(named.has(name) || (spec.negatable === true && named.has(`no-${name}`)), `README row for --${name}`).toBe(true);
    }
    expect(named.has('collector.<name>') && named.has('no-collector.<name>')).toBe(true);
    for (const n of named) if (!n.includes('<')) expect(PARSE_OPTIONS, `README names --${n}`).toHaveProperty([n]);
  });

  it('a flag without help text cannot be rendered', () => {
    expect(() => renderFlag('collector.example', { type: 'boolean', help: ' ' })).toThrow(/--collector.example has no help text/);
  });

  it('one row of the collector table gives a collector its flags, default, help line and docs line', () => {
    const onByDefault = parseCommandLine([]).config.collectors;
    for (const name of COLLECTOR_NAMES) {
      const row = COLLECTOR_TABLE[name];
      expect(onByDefault.has(name), name).toBe(row.defaultOn);
      expect(DEFAULT_OFF_COLLECTORS.has(name), name).toBe(!row.defaultOn);
      expect(parseCommandLine([`--collector.${name}`]).config.collectors.has(name), name).toBe(true);
      expect(parseCommandLine([`--no-collector.${name}`]).config.collectors.has(name), name).toBe(false);
      expect([...parseCommandLine(['--collector.disable-defaults', `--collector.${name}`]).config.collectors], name).toEqual([name]);
      expect(COLLECTOR_FLAGS[`collector.${name}`]?.help, name).toContain(row.description);
      expect(renderMetricsDoc(), name).toContain(`| \`${name}\` | ${row.description} |`);
    }
  });

  it('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(run('--version').stdout).toContain(pkg.version);
  });
});

describe('snapshot command', () => {
  it('prints states, ports, listen queues and keepalive settings as a table, state columns no port has left out', () => {
    const r = run('snapshot', `--path.procfs=${fixture('proc')}`);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^established\s+6\s+3\s+9$/m);
    expect(r.stdout).toMatch(/SERVER PORTS.*\nPORT {2}TOTAL {2}ESTAB {2}SYN-R {2}CLOSE-W {2}LISTEN\n/);
    expect(r.stdout).toMatch(/SERVER PORTS[\s\S]*^8080\s+4\s+1\s+0\s+1\s+2$/m);
    expect(r.stdout).toMatch(/LISTEN QUEUES[\s\S]*^8080\s+2\s+4\s+n\/a\s+n\/a$/m);
    expect(r.stdout).toContain('dead peer noticed after 7875s');
  });
  it('--wide prints every state column', () => {
    const r = run('snapshot', '--wide', `--path.procfs=${fixture('proc')}`);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/SERVER PORTS[\s\S]*^8080\s+4\s+1\s+0\s+0\s+0\s+0\s+0\s+0\s+1\s+0\s+2\s+0$/m);
  });
  it('prints JSON with states by name', () => {
    const r = run('snapshot', '--format=json', `--path.procfs=${fixture('proc')}`);
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as { data: { sockets: { summary: { byFamily: { ipv4: Record<string, number> } } } } };
    expect(json.data.sockets.summary.byFamily.ipv4).toMatchObject({ listen: 3, established: 6, time_wait: 2 });
  });
  it('exits 1 and names the failed collectors on a broken tree', () => {
    const r = run('snapshot', `--path.procfs=${fixture('proc-broken')}`);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAILED COLLECTORS[\s\S]*snmp: .*3 names but 2 values/);
  });
});

describe('the real binary on the fixture tree', () => {
  it('serves the golden /metrics, passes process metrics, and exits 0 on SIGTERM', async () => {
    const exporter = await startExporter([`--path.procfs=${fixture('proc')}`, '--collector.ports.pin=9100', '--collector.interval=1m']); // the golden's interval: fixturePoller collects every 60 s
    try {
      await eventually(async () => ((await fetch(`${exporter.url}/readyz`)).ok ? true : undefined), 10_000, 'readiness');
      const body = await (await fetch(`${exporter.url}/metrics`)).text();
      expect(body).toContain('process_resident_memory_bytes');
      expect(normalizeExposition(body)).toBe(readFileSync(GOLDEN, 'utf8'));
    } finally {
      expect(await exporter.stop()).toBe(0);
    }
    expect(exporter.stderr()).toMatch(/"msg":"shutting down"/);
  });

  it('keeps serving with success=0 when a collector fails, and logs it once', async () => {
    const exporter = await startExporter([`--path.procfs=${fixture('proc-broken')}`, '--collector.interval=200ms']);
    try {
      const body = await eventually(async () => {
        const res = await fetch(`${exporter.url}/metrics`);
        const text = await res.text();
        return /tcpstate_collector_success\{collector="snmp"\} 0/.test(text) && text.includes('tcpstate_snapshot_timestamp_seconds') ? text : undefined;
      });
      expect(body).toMatch(/tcpstate_collector_success\{collector="sockets"\} 1/);
      expect(body).toMatch(/tcpstate_socket_table_malformed_lines\{table="net\/tcp"\} 6/);
      await new Promise((r) => setTimeout(r, 700));
      const errors = exporter.stderr().split('\n').filter((l) => l.includes('"collector":"snmp"') && l.includes('"level":"error"'));
      expect(errors).toHaveLength(1);
    } finally {
      expect(await exporter.stop()).toBe(0);
    }
  });

  it('honours --web.telemetry-path and --no-collector.<name>, and exits 0 on SIGINT', async () => {
    const exporter = await startExporter([`--path.procfs=${fixture('proc')}`, '--web.telemetry-path=/custom', '--no-collector.sysctl']);
    try {
      const body = await eventually(async () => {
        const text = await (await fetch(`${exporter.url}/custom`)).text();
        return text.includes('tcpstate_sockets{') ? text : undefined;
      });
      expect(body).not.toMatch(/^tcpstate_sysctl_/m);
      expect(body).not.toMatch(/collector="sysctl"/);
      expect((await fetch(`${exporter.url}/metrics`)).status).toBe(404);
    } finally {
      expect(await exporter.stop('SIGINT')).toBe(0);
    }
    expect(exporter.stderr()).toMatch(/"signal":"SIGINT"/);
  });

  it('writes logfmt by default', () => {
    const r = spawnSync(process.execPath, [CLI, 'snapshot', `--path.procfs=${fixture('proc-broken')}`, '--log.level=debug'], { encoding: 'utf8' });
    expect(r.stderr).toMatch(/^ts=\S+ level=error msg="collector failed" collector=snmp reason=error err=/m);
  });
});
