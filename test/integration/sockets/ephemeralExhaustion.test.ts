import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canCreateNetns, Netns } from '../../../bench/netns.js';
import type { EphemeralPortUsage } from '../../../src/aggregate/ephemeralPorts.js';
import { startExporterIn, type NetnsExporter } from '../../helpers/netnsExporter.js';
import { CLI } from '../../helpers/paths.js';
import { parseSs } from '../../helpers/ss.js';

/** 100 ports: small enough to exhaust in a test, as on a host whose range is used up. */
const RANGE = { 'net.ipv4.ip_local_port_range': '40000 40099' };
const inRange = (port: number): boolean => port >= 40000 && port <= 40099;

/** The sockets collector's ephemeral usage from the real binary's one-shot snapshot, run in the namespace. */
function ephemeralIn(ns: Netns): EphemeralPortUsage {
  const r = ns.exec(process.execPath, [CLI, 'snapshot', '--format=json']);
  if (r.status !== 0) throw new Error(`snapshot failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { data: { sockets: { ephemeral: EphemeralPortUsage } } }).data.sockets.ephemeral;
}

/**
 * Sockets that bind() to port 0 before connect(), round robin to three destinations, until the
 * kernel refuses the bind: each holds its port against every destination, so the range is gone
 * while no destination holds more than a third of it. Then a plain connect() to a fourth
 * destination, which must fail too.
 */
const BIND_BEFORE_CONNECT = `
import errno, json, socket, time
listeners = []
for port in (8081, 8082, 8083, 8084):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("127.0.0.1", port)); l.listen(1024); listeners.append(l)
held, per, bind_error = [], [0, 0, 0], None
while True:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
    except OSError as e:
        bind_error = errno.errorcode[e.errno]; s.close(); break
    i = len(held) % 3
    s.connect(("127.0.0.1", 8081 + i)); held.append(s); per[i] += 1
c = socket.socket()
try:
    c.connect(("127.0.0.1", 8084)); connect_error = None
except OSError as e:
    connect_error = errno.errorcode[e.errno]
c.close()
print(json.dumps({"ready": True, "held": len(held), "per": per, "bindError": bind_error, "connectError": connect_error}), flush=True)
while True: time.sleep(3600)
`;

describe.runIf(canCreateNetns())('bind() before connect() exhausting a 100-port range', () => {
  let ns: Netns;
  let script: { held: number; per: number[]; bindError: string; connectError: string | null };
  let exporter: NetnsExporter;
  beforeAll(async () => {
    ns = new Netns('tcpstate-bind', RANGE);
    const { line } = await ns.startUntil('python3', ['-c', BIND_BEFORE_CONNECT], /"ready": true/);
    script = JSON.parse(line) as typeof script;
    exporter = await startExporterIn(ns, 19816);
  }, 60_000);
  afterAll(() => ns?.destroy());

  it('the kernel refused: bind(0) with EADDRINUSE, a plain connect() elsewhere with EADDRNOTAVAIL', () => {
    expect(script.bindError).toBe('EADDRINUSE');
    expect(script.connectError).toBe('EADDRNOTAVAIL');
    expect(script.held).toBe(100);
    // ss agrees: every port of the range is held by one ESTABLISHED socket.
    const ports = parseSs(ns.run('ss', ['-tanH']).stdout).filter((s) => inRange(s.localPort));
    expect(ports.map((s) => s.state).every((st) => st === 'established')).toBe(true);
    expect(new Set(ports.map((s) => s.localPort)).size).toBe(100);
  });

  it('serves every held port as exclusive, none free, and the worst destination at about a third', () => {
    const m = exporter.samples();
    expect(m.get('tcpstate_ephemeral_ports_usable')).toBe(100);
    expect(m.get('tcpstate_ephemeral_ports_held{state="exclusive"}')).toBe(script.held);
    expect(m.get('tcpstate_ephemeral_ports_held{state="shared"}')).toBe(0);
    expect(m.get('tcpstate_ephemeral_ports_held{state="time_wait"}')).toBe(0);
    expect(m.get('tcpstate_ephemeral_ports_free')).toBe(0);
    // The per-destination view alone would say "a third used" while nothing can connect.
    const worst = Math.max(...script.per) / 100;
    expect(worst).toBeCloseTo(1 / 3, 1);
    expect(m.get('tcpstate_ephemeral_port_worst_destination_ratio')).toBe(worst);
    for (const [i, n] of script.per.entries()) {
      const labels = (rank: number, extra = '') => `{rank="${rank}",family="ipv4",remote_address="127.0.0.1",remote_port="${8081 + i}"${extra}}`;
      const rank = [...script.per.entries()].sort(([a, x], [b, y]) => y - x || a - b).findIndex(([j]) => j === i) + 1;
      expect(m.get(`tcpstate_ephemeral_port_destination_ports${labels(rank, ',state="other"')}`)).toBe(n);
      expect(m.get(`tcpstate_ephemeral_port_destination_ports${labels(rank, ',state="time_wait"')}`)).toBe(0);
      expect(m.get(`tcpstate_ephemeral_port_destination_usage_ratio${labels(rank)}`)).toBe(n / 100);
    }
  });
});

/**
 * Connections to one loopback destination that the client closes first (so its side ends in
 * TIME_WAIT), in batches paced so that each batch finds TIME_WAIT ports old enough to reuse:
 * 320 connects through a 100-port range, each of which must succeed.
 */
const TIME_WAIT_CHURN = `
import errno, json, socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 8080)); l.listen(256)
ok, failed = 0, []
for batch in range(4):
    for _ in range(80):
        c = socket.socket()
        try:
            c.connect(("127.0.0.1", 8080))
        except OSError as e:
            failed.append(errno.errorcode[e.errno]); c.close(); continue
        s, _ = l.accept()
        c.close()      # the client closes first ...
        s.recv(1)      # ... the server sees the FIN ...
        s.close()      # ... and closes back: the client side is in TIME_WAIT
        ok += 1
    time.sleep(1.2)    # the kernel reuses a TIME_WAIT port once its last timestamp is a second old
print(json.dumps({"ready": True, "ok": ok, "failed": failed}), flush=True)
while True: time.sleep(3600)
`;

describe.runIf(canCreateNetns())('TIME_WAIT churn to a loopback destination that tcp_tw_reuse absorbs', () => {
  let ns: Netns;
  let script: { ok: number; failed: string[] };
  let timeWaitPorts = 0;
  let exporter: NetnsExporter;
  const sysctl = (key: string, value: number): void => {
    ns.run('sysctl', ['-q', '-w', `${key}=${value}`]);
  };
  beforeAll(async () => {
    ns = new Netns('tcpstate-twreuse', { ...RANGE, 'net.ipv4.tcp_tw_reuse': '1', 'net.ipv4.tcp_timestamps': '1' });
    const { line } = await ns.startUntil('python3', ['-c', TIME_WAIT_CHURN], /"ready": true/);
    script = JSON.parse(line) as typeof script;
    const ss = parseSs(ns.run('ss', ['-tanH']).stdout).filter((s) => inRange(s.localPort));
    timeWaitPorts = new Set(ss.filter((s) => s.state === 'time_wait').map((s) => s.localPort)).size;
    exporter = await startExporterIn(ns, 19816);
  }, 60_000);
  afterAll(() => ns?.destroy());

  it('every connect succeeded, more of them than the range has ports', () => {
    expect(script.failed).toEqual([]);
    expect(script.ok).toBe(320);
    expect(timeWaitPorts).toBeGreaterThanOrEqual(80);
    expect(timeWaitPorts).toBeLessThanOrEqual(100);
  });

  it('with tcp_tw_reuse=1: TIME_WAIT ports served under state="time_wait", and the usage ratio leaves them out', () => {
    const m = exporter.samples();
    const dest = 'rank="1",family="ipv4",remote_address="127.0.0.1",remote_port="8080"';
    expect(m.get(`tcpstate_ephemeral_port_destination_ports{${dest},state="time_wait"}`)).toBe(timeWaitPorts);
    expect(m.get(`tcpstate_ephemeral_port_destination_ports{${dest},state="other"}`)).toBe(0);
    expect(m.get(`tcpstate_ephemeral_port_destination_usage_ratio{${dest}}`)).toBe(0);
    expect(m.get('tcpstate_ephemeral_port_worst_destination_ratio')).toBe(0);
    expect(m.get('tcpstate_ephemeral_ports_held{state="time_wait"}')).toBe(timeWaitPorts);
    expect(m.get('tcpstate_ephemeral_ports_held{state="exclusive"}')).toBe(0);
    expect(m.get('tcpstate_ephemeral_ports_free')).toBe(100 - timeWaitPorts);
    expect(m.get('tcpstate_sysctl_tw_reuse')).toBe(1);
    expect(m.get('tcpstate_sysctl_timestamps')).toBe(1);
  });

  // The same population, read under other sysctls (set after the churn: the TIME_WAIT sockets stay).
  const variants: Array<[string, number, number, boolean]> = [
    ['tcp_tw_reuse=2 (loopback only): a loopback destination still reuses', 2, 1, true],
    ['tcp_tw_reuse=0: the TIME_WAIT ports count', 0, 1, false],
    ['tcp_tw_reuse=1 without tcp_timestamps: they count', 1, 0, false],
  ];
  it.each(variants)('%s', (_name, twReuse, timestamps, reusable) => {
    sysctl('net.ipv4.tcp_tw_reuse', twReuse);
    sysctl('net.ipv4.tcp_timestamps', timestamps);
    try {
      const u = ephemeralIn(ns);
      expect(u.top[0]).toMatchObject({ remoteAddress: '127.0.0.1', remotePort: 8080, timeWaitPorts, otherPorts: 0, timeWaitReusable: reusable });
      expect(u.top[0]!.usageRatio).toBe(reusable ? 0 : timeWaitPorts / 100);
      expect(u.worstDestinationRatio).toBe(reusable ? 0 : timeWaitPorts / 100);
      expect(u.held).toEqual({ exclusive: 0, shared: 0, timeWait: timeWaitPorts });
    } finally {
      sysctl('net.ipv4.tcp_tw_reuse', 1);
      sysctl('net.ipv4.tcp_timestamps', 1);
    }
  });
});
