import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canCreateNetns, Netns } from '../../../bench/netns.js';
import { eventually } from '../../helpers/exporterProcess.js';
import { startExporterIn, type NetnsExporter } from '../../helpers/netnsExporter.js';
import { ScriptDriver } from '../../helpers/scriptDriver.js';
import { parseSs } from '../../helpers/ss.js';

/**
 * Servers that stop listening and keep their accepted connections. Commands:
 *   serve NAME FAMILY ADDR PORT V4CLIENTS V6CLIENTS [FIRSTSRC]: listen (PORT 0: kernel-chosen),
 *     connect the clients (from source ports FIRSTSRC, FIRSTSRC+1, … if given), accept them all;
 *   drop NAME: close the listener, then every client (they hang up: FIN); the accepted sockets
 *     are never closed and never read, so they stay in CLOSE_WAIT.
 * Each replies {"port": P, "low": n} (n: clients whose source port is below P).
 */
const SERVERS = `
import json, socket, sys
servers = {}
held = []
for line in sys.stdin:
    cmd = line.split()
    if cmd[0] == "serve":
        name, fam, addr, port, v4, v6 = cmd[1], cmd[2], cmd[3], int(cmd[4]), int(cmd[5]), int(cmd[6])
        first = int(cmd[7]) if len(cmd) > 7 else 0
        l = socket.socket(socket.AF_INET6 if fam == "6" else socket.AF_INET)
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == "6":
            l.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        l.bind((addr, port)); l.listen(512)
        port = l.getsockname()[1]
        clients = []
        for i, (cfam, caddr) in enumerate([(socket.AF_INET, "127.0.0.1")] * v4 + [(socket.AF_INET6, "::1")] * v6):
            c = socket.socket(cfam)
            if first:
                c.bind((caddr, first + i))
            c.connect((caddr, port)); clients.append(c)
            held.append(l.accept()[0])
        servers[name] = (l, clients)
        print(json.dumps({"port": port, "low": sum(1 for c in clients if c.getsockname()[1] < port)}), flush=True)
    elif cmd[0] == "drop":
        l, clients = servers.pop(cmd[1])
        l.close()
        for c in clients:
            c.close()
        print(json.dumps({"done": True}), flush=True)
`;

const EXPORTER_PORT = 19816;
/** Clients' FIN_WAIT2 sockets are orphans once closed: keep them for the test (default 60 s). */
const SYSCTLS = { 'net.ipv4.tcp_fin_timeout': '600' };

function ssCount(ns: Netns, state: string, local?: number, peer?: number): number {
  return parseSs(ns.run('ss', ['-tanH']).stdout).filter((s) => s.state === state && (local === undefined || s.localPort === local) && (peer === undefined || s.peerPort === peer)).length;
}

const portState = (m: Map<string, number>, role: string, port: number | string, state: string): number | undefined =>
  m.get(`tcpstate_port_sockets{role="${role}",port="${port}",state="${state}"}`);

/** Sum of a state over every port of a role. */
const roleTotal = (m: Map<string, number>, role: string, state: string): number =>
  [...m].filter(([k]) => k.startsWith(`tcpstate_port_sockets{role="${role}",`) && k.endsWith(`,state="${state}"}`)).reduce((a, [, v]) => a + v, 0);

describe.runIf(canCreateNetns())('socket roles when the listener is gone (default ephemeral range)', () => {
  let ns: Netns;
  let servers: ScriptDriver;
  let exporter: NetnsExporter;
  let kernelChosen = 0;

  beforeAll(async () => {
    ns = new Netns('tcpstate-roles', SYSCTLS);
    servers = ScriptDriver.start(ns, SERVERS);
    // The repro, before the exporter starts (so nothing is remembered): 150 accepted
    // connections on 20070, the listener closed, the clients hung up.
    await servers.send('serve repro 4 127.0.0.1 20070 150 0');
    await servers.send('drop repro');
    // A dual-stack listener: IPv4 clients become v4-mapped IPv6 sockets, IPv6 clients plain ones.
    await servers.send('serve dual 6 :: 20071 20 10');
    await servers.send('drop dual');
    // A listener on a kernel-chosen port (inside the range), still listening when the exporter starts.
    kernelChosen = (await servers.send('serve chosen 4 127.0.0.1 0 12 0'))['port'] as number;
    exporter = await startExporterIn(ns, EXPORTER_PORT, ['--collector.interval=200ms', '--collector.ports.ephemeral-by-number', `--collector.ports.pin=${EXPORTER_PORT}`]);
    await eventually(async () => (portState(exporter.samples(), 'server', kernelChosen, 'listen') === 1 ? true : undefined), 20_000, 'the kernel-chosen listener seen');
    await servers.send('drop chosen');
    // Wait on role-free totals until the exporter has collected the drop.
    await eventually(async () => {
      const m = exporter.samples();
      return m.get('tcpstate_sockets{family="ipv4",state="close_wait"}') === 150 + 12 && m.get('tcpstate_sockets{family="ipv4",state="fin_wait2"}') === 150 + 20 + 12 ? true : undefined;
    }, 20_000, 'the exporter collects the closed listener');
  }, 90_000);

  afterAll(() => ns?.destroy());

  it('ss shows the repro as the issue has it: 150 CLOSE-WAIT on 20070 and no listener', () => {
    expect(ssCount(ns, 'close_wait', 20070)).toBe(150);
    expect(ssCount(ns, 'listen', 20070)).toBe(0);
    expect(ssCount(ns, 'fin_wait2', undefined, 20070)).toBe(150);
  });

  it('reports them as role="server",port="20070" (rule 2: a port outside the range, peers inside it), their clients under the same port', () => {
    const m = exporter.samples();
    expect(portState(m, 'server', 20070, 'close_wait')).toBe(ssCount(ns, 'close_wait', 20070));
    expect(portState(m, 'server', 20070, 'close_wait')).toBe(150);
    expect(portState(m, 'client', 20070, 'fin_wait2')).toBe(150);
    // Nothing of it is filed under the peers' ports or "other".
    expect(roleTotal(m, 'client', 'close_wait')).toBe(0);
    expect(portState(m, 'server', 'other', 'close_wait')).toBe(0);
  });

  it('does the same for a dual-stack listener, its IPv4 (v4-mapped) and IPv6 connections together', () => {
    const m = exporter.samples();
    expect(portState(m, 'server', 20071, 'close_wait')).toBe(ssCount(ns, 'close_wait', 20071));
    expect(portState(m, 'server', 20071, 'close_wait')).toBe(30);
    expect(portState(m, 'client', 20071, 'fin_wait2')).toBe(30);
    // Every CLOSE_WAIT of the namespace is one of the two listeners' or the kernel-chosen one's, all IPv6 for 20071.
    expect(m.get('tcpstate_sockets{family="ipv6",state="close_wait"}')).toBe(30);
  });

  it('keeps a kernel-chosen port it saw listening as the server port (memory: both ports are inside the range)', () => {
    const m = exporter.samples();
    expect(kernelChosen).toBeGreaterThanOrEqual(32768);
    expect(portState(m, 'server', kernelChosen, 'close_wait')).toBe(12);
    expect(portState(m, 'server', kernelChosen, 'listen')).toBe(0);
    expect(portState(m, 'client', kernelChosen, 'fin_wait2')).toBe(12);
    expect(roleTotal(m, 'server', 'close_wait')).toBe(150 + 30 + 12);
  });

  it('counts that port as a service port in the ephemeral-port metrics, not as a port held', () => {
    const m = exporter.samples();
    // From ss: local ports inside the range, the service port aside, by how many sockets hold them.
    const holders = new Map<number, number>();
    for (const s of parseSs(ns.run('ss', ['-tanH']).stdout)) {
      if (s.localPort >= 32768 && s.localPort <= 60999 && s.localPort !== kernelChosen) holders.set(s.localPort, (holders.get(s.localPort) ?? 0) + 1);
    }
    const exclusive = [...holders.values()].filter((n) => n === 1).length;
    const shared = holders.size - exclusive;
    // The clients' ports: 150 + 30 + 12 sockets in FIN_WAIT2 (connect() may share a port between destinations).
    expect([...holders.values()].reduce((a, b) => a + b, 0)).toBe(192);
    expect(m.get('tcpstate_ephemeral_ports_held{state="exclusive"}')).toBe(exclusive);
    expect(m.get('tcpstate_ephemeral_ports_held{state="shared"}')).toBe(shared);
    // The range less the one service port inside it; the scrapes come from ports outside the range.
    expect(m.get('tcpstate_ephemeral_ports_usable')).toBe(60999 - 32768 + 1 - 1);
    expect(m.get('tcpstate_ephemeral_ports_in_use')).toBe(holders.size + 1);
  });
});

describe.runIf(canCreateNetns())('socket roles with ip_local_port_range widened over service ports (1024-65535)', () => {
  let ns: Netns;
  let servers: ScriptDriver;
  let exporter: NetnsExporter;
  let late: NetnsExporter;
  let below = 0;

  beforeAll(async () => {
    ns = new Netns('tcpstate-wide', { ...SYSCTLS, 'net.ipv4.ip_local_port_range': '1024 65535' });
    servers = ScriptDriver.start(ns, SERVERS);
    // 8080 is inside the range, and so are its clients' ports: 2000-2149, all below 8080, so the
    // lower-port guess would get every one of them wrong (the kernel, picking from the range, gives
    // a run of ports from a hashed offset that may or may not lie below 8080).
    below = (await servers.send('serve web 4 127.0.0.1 8080 150 0 2000'))['low'] as number;
    exporter = await startExporterIn(ns, EXPORTER_PORT, ['--collector.interval=200ms', '--collector.ports.pin=8080,8081', `--collector.ports.pin=${EXPORTER_PORT}`]);
    await eventually(async () => (portState(exporter.samples(), 'server', 8080, 'established') === 150 ? true : undefined), 20_000, 'the 8080 connections seen');
    await servers.send('drop web');
    await eventually(async () => (ssCount(ns, 'close_wait', 8080) === 150 ? true : undefined), 10_000, 'CLOSE_WAIT on 8080');
    // 8081: clients from source ports above it, and an exporter started only after its listener closed.
    await servers.send('serve api 4 127.0.0.1 8081 20 0 40000');
    await servers.send('drop api');
    await eventually(async () => (ssCount(ns, 'close_wait', 8081) === 20 ? true : undefined), 10_000, 'CLOSE_WAIT on 8081');
    late = await startExporterIn(ns, EXPORTER_PORT + 1, ['--collector.ports.pin=8081']);
    await eventually(async () => (exporter.samples().get('tcpstate_sockets{family="ipv4",state="close_wait"}') === 170 ? true : undefined), 20_000, 'the exporter collects the closed listeners');
  }, 90_000);

  afterAll(() => ns?.destroy());

  it('has its clients on ports below the service port, the case the lower-port guess gets wrong', () => {
    expect(below).toBe(150);
  });

  it('keeps every accepted connection of 8080 under 8080, and every client under 8080, by remembering the listener', () => {
    const m = exporter.samples();
    expect(portState(m, 'server', 8080, 'close_wait')).toBe(ssCount(ns, 'close_wait', 8080));
    expect(portState(m, 'client', 8080, 'fin_wait2')).toBe(ssCount(ns, 'fin_wait2', undefined, 8080));
    expect(portState(m, 'client', 8080, 'fin_wait2')).toBe(150);
    expect(roleTotal(m, 'client', 'close_wait')).toBe(0);
  });

  it('without memory (started after the listener closed) takes the lower port as the service', () => {
    const m = late.samples();
    expect(portState(m, 'server', 8081, 'close_wait')).toBe(20);
    expect(portState(m, 'client', 8081, 'fin_wait2')).toBe(20);
  });
});
