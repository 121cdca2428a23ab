import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canCreateNetns, Netns } from '../../../bench/netns.js';
import { eventually } from '../../helpers/exporterProcess.js';
import { startExporterIn, type NetnsExporter } from '../../helpers/netnsExporter.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { canDropPrivileges } from '../../helpers/privileges.js';
import { haveTool } from '../../helpers/tools.js';

const EXCHANGE = join(REPO_ROOT, 'test', 'helpers', 'tcp_exchange.py');
const PORT = 7000;
const EXPORTER_PORT = 19816;
const CONNECTIONS = 200;

type Samples = Map<string, number>;
/** A port with no closed connection yet has no series: 0. */
const closed = (m: Samples, role: string, port: number | string = PORT): number => m.get(`tcpstate_port_closed_connections_total{role="${role}",port="${port}"}`) ?? 0;
const bytes = (m: Samples, role: string, direction: string): number => m.get(`tcpstate_port_closed_connection_bytes_total{role="${role}",port="${PORT}",direction="${direction}"}`) ?? NaN;
const segments = (m: Samples, role: string, direction: string): number => m.get(`tcpstate_port_closed_connection_segments_total{role="${role}",port="${PORT}",direction="${direction}"}`) ?? NaN;
const lost = (m: Samples): number => m.get('tcpstate_connection_events_lost_total') ?? NaN;

/**
 * Drops of the namespace's socket bound to the TCP destroy groups (sock_diag: protocol 4, groups
 * 1 and 3 = 00000005), as the kernel's /proc/net/netlink shows them: the kernel's own count,
 * read from outside the exporter.
 */
function kernelDrops(ns: Netns): number {
  return Number(destroyGroupSocket(ns)?.[8] ?? NaN);
}

/** TCP sockets of the namespace whose destruction is still to come (listeners and TIME_WAIT aside). */
function openConnections(ns: Netns): string {
  const states = ['established', 'close-wait', 'last-ack', 'fin-wait-1', 'closing', 'syn-sent', 'syn-recv'].flatMap((st) => ['state', st]);
  return ns.run('ss', ['-tanH', ...states]).stdout.trim();
}

/** Bytes queued in that socket, unread (the Rmem column). */
function kernelQueued(ns: Netns): number {
  return Number(destroyGroupSocket(ns)?.[4] ?? NaN);
}

function destroyGroupSocket(ns: Netns): string[] | undefined {
  return ns.run('cat', ['/proc/net/netlink']).stdout.split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[1] === '4' && f[3] === '00000005');
}

/** Runs tcp_exchange.py in the namespace until it has closed its connections. */
async function exchange(ns: Netns, mode: 'sequential' | 'burst' | 'unaccepted', count: number): Promise<void> {
  await ns.startUntil('python3', [EXCHANGE, mode, String(count), String(PORT)], /"done": true/);
}

describe.runIf(canCreateNetns())('closed connections from the kernel socket destroy events (--collector.connections)', () => {
  describe(`${CONNECTIONS} connections, each 5000 bytes out and 300 back, both sides closing${canDropPrivileges ? ', exporter as nobody' : ''}`, () => {
    let ns: Netns;
    let exporter: NetnsExporter;
    let m: Samples;
    beforeAll(async () => {
      ns = new Netns('tcpstate-conn');
      exporter = await startExporterIn(ns, EXPORTER_PORT, ['--collector.connections', '--collector.interval=200ms', '--collector.series.admit-cycles=0', `--collector.ports.pin=${PORT},${EXPORTER_PORT}`], { asNobody: canDropPrivileges });
      await exchange(ns, 'sequential', CONNECTIONS);
      m = await eventually(async () => {
        const s = exporter.samples();
        return closed(s, 'server') + closed(s, 'client') >= 2 * CONNECTIONS ? s : undefined;
      }, 30_000, `${2 * CONNECTIONS} closed connections on port ${PORT}`);
    }, 120_000);
    afterAll(() => ns?.destroy());

    it.runIf(canDropPrivileges)('runs as nobody, without any capability', () => {
      const status = readFileSync(`/proc/${exporter.pid}/status`, 'utf8');
      expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe('65534');
      expect(/^CapEff:\s+(\S+)/m.exec(status)?.[1]).toBe('0000000000000000');
    });

    it('counts each side once: the accepted ends under the server port, the clients under the port they connected to', () => {
      expect(closed(m, 'server')).toBe(CONNECTIONS);
      expect(closed(m, 'client')).toBe(CONNECTIONS);
      expect(lost(m)).toBe(0);
    });

    it('counts the payload bytes exactly, without the SYN and FIN sequence numbers', () => {
      expect(bytes(m, 'client', 'sent')).toBe(CONNECTIONS * 5000);
      expect(bytes(m, 'server', 'received')).toBe(CONNECTIONS * 5000);
      expect(bytes(m, 'server', 'sent')).toBe(CONNECTIONS * 300);
      expect(bytes(m, 'client', 'received')).toBe(CONNECTIONS * 300);
    });

    it('counts plausible segments: at least handshake, data and FIN each way, and what one side sent the other received', () => {
      for (const role of ['server', 'client']) {
        for (const direction of ['sent', 'received']) {
          expect(segments(m, role, direction)).toBeGreaterThanOrEqual(3 * CONNECTIONS);
          expect(segments(m, role, direction)).toBeLessThanOrEqual(20 * CONNECTIONS);
        }
      }
      // Loopback loses nothing: every segment the clients sent reached the accepted sockets
      // (measured on 6.18: the accepted socket's count includes the handshake's).
      expect(segments(m, 'server', 'received')).toBe(segments(m, 'client', 'sent'));
      expect(m.get(`tcpstate_port_closed_connection_retransmitted_segments_total{role="client",port="${PORT}"}`)).toBe(0);
    });

    it('serves every family of the collector, and promtool accepts the exposition', () => {
      const body = exporter.get('/metrics').body;
      for (const family of ['port_closed_connections_total', 'port_closed_connection_bytes_total', 'port_closed_connection_segments_total', 'port_closed_connection_retransmitted_segments_total', 'connection_events_lost_total']) {
        expect(body).toContain(`# TYPE tcpstate_${family} counter`);
      }
      expect(body).toContain('tcpstate_collector_success{collector="connections"} 1');
      if (!haveTool('promtool')) return;
      const r = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
      expect(r.stdout + r.stderr).toBe('');
    });

    it('counts the scrapes too, under the exporter\'s own port, and no listener', () => {
      // Every scrape is a connection from python (client of 19816) to the exporter (server on 19816).
      expect(closed(m, 'server', EXPORTER_PORT)).toBeGreaterThan(0);
      expect(closed(m, 'client', EXPORTER_PORT)).toBe(closed(m, 'server', EXPORTER_PORT));
    });
  });

  describe('connections still in the accept queue when their listener closes', () => {
    const UNACCEPTED = 50;
    let ns: Netns;
    let exporter: NetnsExporter;
    beforeAll(async () => {
      ns = new Netns('tcpstate-connqueue');
      // The listener and its queue first, so that the exporter's first dump has the listener (a
      // listener that lives less than a cycle is never seen, and its children's port not known).
      const { child } = await ns.startUntil('python3', [EXCHANGE, 'unaccepted', String(UNACCEPTED), String(PORT)], /"ready": true/);
      exporter = await startExporterIn(ns, EXPORTER_PORT, ['--collector.connections', '--collector.interval=200ms', '--collector.series.admit-cycles=0', `--collector.ports.pin=${PORT}`]);
      const done = new Promise<void>((resolve) => createInterface({ input: child.stdout! }).on('line', (l) => l.includes('"done": true') && resolve()));
      child.stdin!.write('close\n');
      await done;
    }, 120_000);
    afterAll(() => ns?.destroy());

    it('counts each as a closed connection of the server port (the kernel reports it without its peer\'s port), and each client', async () => {
      // The kernel's tcp_disconnect() of each child zeroes its peer port and its counters.
      const m = await eventually(async () => {
        const s = exporter.samples();
        return closed(s, 'server') >= UNACCEPTED && closed(s, 'client') >= UNACCEPTED ? s : undefined;
      }, 30_000, `${UNACCEPTED} closed connections per side on port ${PORT}`).catch((err: unknown) => {
        const s = exporter.samples();
        throw new Error(`${String(err)}; server ${closed(s, 'server')}, client ${closed(s, 'client')}`);
      });
      expect(closed(m, 'server')).toBe(UNACCEPTED);
      expect(closed(m, 'client')).toBe(UNACCEPTED);
      expect(lost(m)).toBe(0);
      // The 3 refused blocking connect()s before them, which the kernel reports the same way (no
      // peer port, a peer address), from their ephemeral ports: no server end anywhere.
      expect(closed(m, 'server', 'ephemeral')).toBe(0);
    }, 60_000);
  });

  describe('a burst the receive buffer cannot hold', () => {
    let ns: Netns;
    let exporter: NetnsExporter;
    beforeAll(async () => {
      ns = new Netns('tcpstate-connlost');
      // 64 KiB: the kernel grants twice that, room for ~100 events (~1.3 KB each): the 2 events
      // of each scrape always fit, the burst's 400 cannot. The exporter is stopped during the
      // burst, as a CPU-throttled container would be, so that it cannot keep up by luck; nothing
      // else closes in the namespace meanwhile.
      exporter = await startExporterIn(ns, EXPORTER_PORT, ['--collector.connections', '--collector.interval=200ms', '--collector.series.admit-cycles=0', '--collector.connections.receive-buffer=65536', `--collector.ports.pin=${PORT}`]);
      // The readiness scrape's sockets must be gone first: the exporter's end of it closes only
      // when the exporter runs, and its destroy event, arriving while the buffer is still full of
      // the burst's, would be lost on another port.
      await eventually(async () => (openConnections(ns) === '' ? true : undefined), 20_000, 'the readiness scrape to be closed');
      process.kill(exporter.pid, 'SIGSTOP');
      try {
        await exchange(ns, 'burst', CONNECTIONS);
        // The kernel sends destroy events from a workqueue, which may still be at it: the exporter
        // resumes once the kernel has dropped some and stopped dropping more.
        let last = -1;
        await eventually(async () => {
          const drops = kernelDrops(ns);
          const settled = drops > 0 && drops === last;
          last = drops;
          if (!settled) await new Promise((r) => setTimeout(r, 400));
          return settled ? true : undefined;
        }, 20_000, 'the kernel to drop destroy events for the stopped exporter');
      } finally {
        process.kill(exporter.pid, 'SIGCONT');
      }
      // No scrape before the exporter has read what queued up: a scrape is itself two destroyed
      // sockets, and while the buffer is still full they would be lost too, on another port.
      await eventually(async () => (kernelQueued(ns) === 0 ? true : undefined), 20_000, 'the exporter to drain its event socket');
    }, 120_000);
    afterAll(() => ns?.destroy());

    it('counts what it lost, and counted + lost equals the connections closed, exactly', async () => {
      const total = (s: Samples): number => closed(s, 'server') + closed(s, 'client') + lost(s);
      const m = await eventually(async () => {
        const s = exporter.samples();
        return total(s) >= 2 * CONNECTIONS ? s : undefined;
      }, 30_000, `${2 * CONNECTIONS} closes counted or lost`).catch((err: unknown) => {
        const s = exporter.samples();
        const elsewhere = [...s].filter(([k]) => k.startsWith('tcpstate_port_closed_connections_total') && !k.includes(`port="${PORT}"`));
        throw new Error(`${String(err)}; on port ${PORT}: server ${closed(s, 'server')}, client ${closed(s, 'client')}, lost ${lost(s)}; elsewhere: ${JSON.stringify(elsewhere)}`);
      });
      expect(lost(m)).toBeGreaterThan(0);
      expect(lost(m)).toBe(kernelDrops(ns));
      expect(total(m)).toBe(2 * CONNECTIONS);
    }, 90_000);
  });
});
