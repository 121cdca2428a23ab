import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Netns } from '../../bench/netns.js';
import { HelperProcess } from './helperProcess.js';
import { CLI, REPO_ROOT } from './paths.js';

/**
 * A free /24 of 10.0.0.0/8 for the veth links of one test run, as its first three octets
 * ("10.X.Y"): one that no address or route on this host mentions. Throws after 50 tries.
 */
export function pickTestSubnet(): string {
  const taken = spawnSync('ip', ['-4', 'addr'], { encoding: 'utf8' }).stdout + spawnSync('ip', ['-4', 'route'], { encoding: 'utf8' }).stdout;
  for (let i = 0; i < 50; i++) {
    const prefix = `10.${64 + Math.floor(Math.random() * 190)}.${Math.floor(Math.random() * 256)}`;
    if (!taken.includes(`${prefix}.`)) return prefix;
  }
  throw new Error('no free 10.X.Y.0/24 for the test links');
}

/** An exporter (the built binary) running inside a scenario namespace. */
export interface NetnsExporter {
  /** host:port Prometheus scrapes, on the namespace's side of the veth link. */
  target: string;
  helper: HelperProcess;
  stderr: () => string;
}

/**
 * A network namespace of the test's own, linked to the host namespace by a veth pair on a /30
 * (host side `<subnet>.4i+1`, namespace side `<subnet>.4i+2`), so a Prometheus on the host can
 * scrape exporters inside it; sysctls are set in the namespace only (net.ipv4.* and net.core.*
 * that the kernel keeps per namespace). destroy() kills everything in it and removes the
 * namespace and the link.
 */
export class ScenarioNetns {
  readonly ns: Netns;
  /** The namespace's address on the link: exporters listen here. */
  readonly address: string;
  private readonly hostLink: string;
  private readonly helpers: HelperProcess[] = [];

  constructor(
    readonly label: string,
    index: number,
    subnet: string,
    sysctls: Readonly<Record<string, string>> = {},
  ) {
    this.ns = new Netns(`tcpstate-alert-${label}`);
    this.hostLink = `tsv${Math.random().toString(36).slice(2, 7)}${index}`;
    this.address = `${subnet}.${4 * index + 2}`;
    try {
      for (const [key, value] of Object.entries(sysctls)) this.ns.run('sysctl', ['-q', '-w', `${key}=${value}`]);
      must(['link', 'add', this.hostLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.ns.name]);
      must(['addr', 'add', `${subnet}.${4 * index + 1}/30`, 'dev', this.hostLink]);
      must(['link', 'set', this.hostLink, 'up']);
      must(['-n', this.ns.name, 'addr', 'add', `${this.address}/30`, 'dev', 'eth0']);
      must(['-n', this.ns.name, 'link', 'set', 'eth0', 'up']);
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  /**
   * Starts the built exporter inside the namespace on `<address>:<port>` with JSON logs and waits
   * (up to 15 s) for its "listening" line; the exporter reads this namespace's /proc.
   */
  async startExporter(port: number, args: readonly string[]): Promise<NetnsExporter> {
    const child = this.ns.start(CLI, [`--web.listen-address=${this.address}:${port}`, '--log.format=json', ...args]);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-20_000);
    });
    const helper = this.track(new HelperProcess(`exporter ${this.label}:${port}`, child));
    const started = Date.now();
    while (!/"url":"http/.test(err)) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exporter in ${this.label} exited: ${err}`);
      if (Date.now() - started > 15_000) {
        await helper.kill();
        throw new Error(`exporter in ${this.label} did not start: ${err}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return { target: `${this.address}:${port}`, helper, stderr: () => err };
  }

  /** Starts test/helpers/<script> with python3 inside the namespace. */
  startHelper(script: string, args: readonly string[]): HelperProcess {
    return this.track(new HelperProcess(`${script} in ${this.label}`, this.ns.start('python3', [join(REPO_ROOT, 'test', 'helpers', script), ...args])));
  }

  /** Sockets `ss -tanH state STATE [FILTER]` lists in the namespace (STATE as ss names it, e.g. close-wait). */
  ssCount(state: string, filter: readonly string[] = []): number {
    return this.ns.run('ss', ['-tanH', 'state', state, ...filter]).stdout.split('\n').filter((l) => l.trim() !== '').length;
  }

  /** Distinct local ports of the namespace's sockets in `state` within [low, high]. */
  ssLocalPorts(state: string, low: number, high: number): number {
    const ports = this.ns
      .run('ss', ['-tanH', 'state', state])
      .stdout.split('\n')
      .filter((l) => l.trim() !== '')
      // With a state filter ss leaves the state column out: Recv-Q Send-Q Local Peer.
      .map((l) => Number(l.trim().split(/\s+/)[2]!.split(':').pop()))
      .filter((p) => p >= low && p <= high);
    return new Set(ports).size;
  }

  /** A kernel counter of this namespace by its nstat name (e.g. TcpExtListenOverflows): absolute value, history untouched. */
  nstat(counter: string): number {
    const out = this.ns.run('nstat', ['-asz', counter]).stdout;
    const m = new RegExp(`^${counter}\\s+(\\d+)`, 'm').exec(out);
    if (!m) throw new Error(`nstat has no ${counter}: ${out}`);
    return Number(m[1]);
  }

  /** Kills every process in the namespace, removes it and the host side of the link (a veth pair goes with either end). */
  destroy(): void {
    for (const h of this.helpers) h.child.kill('SIGKILL');
    this.ns.destroy();
    spawnSync('ip', ['link', 'del', this.hostLink], { stdio: 'ignore' });
  }

  private track(helper: HelperProcess): HelperProcess {
    this.helpers.push(helper);
    return helper;
  }
}

function must(args: readonly string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr}`);
}
