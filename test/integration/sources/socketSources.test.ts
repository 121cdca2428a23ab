import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SocketAggregator } from '../../../src/aggregate/socketAggregator.js';
import { STATE_CODE } from '../../../src/model/tcpState.js';
import { FallbackSocketSource } from '../../../src/sources/fallbackSocketSource.js';
import { selectSocketSource } from '../../../src/sources/selectSocketSource.js';
import type { SocketSource } from '../../../src/sources/socketSource.js';
import { silentLogger } from '../../helpers/collect.js';
import { SysteminformationSocketSource, systeminformationLister, type ConnectionEntry } from '../../../src/sources/systeminformationSource.js';
import { eventually, startExporter } from '../../helpers/exporterProcess.js';
import { fixture } from '../../helpers/paths.js';
import { RecordingSink } from '../../helpers/recordingSink.js';

const entry = (state: string, localPort: string, peerPort: string, localAddress = '127.0.0.1', protocol = 'tcp'): ConnectionEntry => ({
  protocol, localAddress, localPort, peerAddress: '127.0.0.1', peerPort, state,
});

describe('selectSocketSource', () => {
  const names = (s: SocketSource) => (s instanceof FallbackSocketSource ? [s.primary.name, s.fallback.name] : [s.name, undefined]);
  it('uses netlink with a procfs fallback on Linux when /proc is our own namespace', async () => {
    expect(names(await selectSocketSource('auto', '/proc', silentLogger, 'linux'))).toEqual(['netlink', 'procfs']);
  });
  it('uses procfs on Linux for a tree that is not our namespace, even one lacking net/tcp', async () => {
    expect(names(await selectSocketSource('auto', fixture('proc'), silentLogger, 'linux'))).toEqual(['procfs', undefined]);
    expect(names(await selectSocketSource('auto', '/nonexistent', silentLogger, 'linux'))).toEqual(['procfs', undefined]);
  });
  it('uses a fixture tree on other systems when it has net/tcp', async () => {
    expect(names(await selectSocketSource('auto', fixture('proc'), silentLogger, 'darwin'))).toEqual(['procfs', undefined]);
  });
  it('falls back to systeminformation on other systems without procfs', async () => {
    expect(names(await selectSocketSource('auto', '/nonexistent', silentLogger, 'darwin'))).toEqual(['systeminformation', undefined]);
  });
  it('honours an explicit choice', async () => {
    expect(names(await selectSocketSource('systeminformation', fixture('proc'), silentLogger, 'linux'))).toEqual(['systeminformation', undefined]);
    expect(names(await selectSocketSource('procfs', '/proc', silentLogger, 'linux'))).toEqual(['procfs', undefined]);
    expect(names(await selectSocketSource('netlink', '/proc', silentLogger, 'linux'))).toEqual(['netlink', undefined]);
  });
});

describe('SysteminformationSocketSource', () => {
  // Listeners first: test/unit/sources/socketSourceContract.test.ts.
  it('maps netstat-style states and marks timers and backlogs unknown', async () => {
    const source = new SysteminformationSocketSource(async () => [
      entry('ESTABLISHED', '8080', '50000'),
      entry('LISTEN', '8080', '*'),
      entry('CLOSE_WAIT', '8080', '50001'),
      entry('TIME_WAIT', '50002', '443', '::1', 'tcp6'),
      entry('LISTEN', '53', '*', '127.0.0.1', 'udp'),
      entry('WEIRD', '1', '2'),
    ]);
    const agg = new SocketAggregator({ maxServerPorts: 10, topClientPorts: 10, pinnedPorts: [] });
    const report = await source.walk(agg);
    expect(report).toEqual({ tables: [{ table: 'systeminformation', sockets: 4, malformed: 1, present: true }], backlogSource: 'none' });
    const s = agg.summarize();
    expect(s.serverPorts[0]!.port).toBe('8080');
    expect(s.serverPorts[0]!.states[STATE_CODE.close_wait]).toBe(1);
    expect(s.byFamily.ipv6[STATE_CODE.time_wait]).toBe(1);
    expect(s.keepalive).toEqual({ armed: 0, notArmed: 0, unknown: 1 });
    expect(s.listenQueues[0]!.backlog).toBeNull();
  });

  it('sees a real listener through the systeminformation package', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const sink = new RecordingSink();
      await new SysteminformationSocketSource().walk(sink);
      expect(sink.seen.some((s) => s.state === 'listen' && s.local.endsWith(`:${port}`))).toBe(true);
    } finally {
      server.close();
    }
  });

  describe.runIf(process.platform === 'linux')('where it cannot see', () => {
    const dirs: string[] = [];
    afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
    /** A PATH of one directory holding `node` and the given shell scripts. */
    const pathWith = (scripts: Record<string, string>): string => {
      const dir = mkdtempSync(join(tmpdir(), 'tcpstate-si-'));
      dirs.push(dir);
      symlinkSync(process.execPath, join(dir, 'node'));
      for (const [name, text] of Object.entries(scripts)) writeFileSync(join(dir, name), `#!/bin/sh\n${text}\n`, { mode: 0o755 });
      return dir;
    };
    /** systeminformation runs its commands with this process's PATH: swap it for the call. */
    const withPath = async <T>(path: string, fn: () => Promise<T>): Promise<T> => {
      const saved = process.env['PATH'];
      process.env['PATH'] = path;
      try {
        return await fn();
      } finally {
        process.env['PATH'] = saved;
      }
    };

    it('fails, naming what is missing, instead of reporting no sockets (no netstat or ss)', async () => {
      const path = pathWith({});
      const walk = withPath(path, () => new SysteminformationSocketSource(systeminformationLister({ PATH: path }, 'linux')).walk(new RecordingSink()));
      await expect(walk).rejects.toThrow(/cannot list sockets here: it needs \/bin\/sh and one of netstat, ss on PATH \(found: \/bin\/sh\)/);
    });

    it('reports an empty table when a listing command is there and answers nothing', async () => {
      const path = pathWith({ ss: 'exit 0', netstat: 'exit 0' });
      const report = await withPath(path, () => new SysteminformationSocketSource(systeminformationLister({ PATH: path }, 'linux')).walk(new RecordingSink()));
      expect(report.tables).toEqual([{ table: 'systeminformation', sockets: 0, malformed: 0, present: true }]);
    });

    it('the exporter started that way reports the sockets collector as failed, with the reason', async () => {
      const exporter = await startExporter(['--collector.source=systeminformation'], { ...process.env, PATH: pathWith({}) });
      try {
        const body = await eventually(async () => {
          const text = await (await fetch(`${exporter.url}/metrics`)).text();
          return /^tcpstate_collector_success\{collector="sockets"\} /m.test(text) ? text : undefined;
        }, 20_000, 'a first collection');
        expect(body).toMatch(/^tcpstate_collector_success\{collector="sockets"\} 0$/m);
        expect(body).toMatch(/^tcpstate_collector_success\{collector="snmp"\} 1$/m);
        expect(body).not.toMatch(/^tcpstate_sockets\{/m);
        expect(exporter.stderr()).toMatch(/systeminformation cannot list sockets here/);
      } finally {
        await exporter.stop();
      }
    });
  });
});
