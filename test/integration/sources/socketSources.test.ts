import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FallbackSocketSource } from '../../../src/sources/fallbackSocketSource.js';
import { selectSocketSource } from '../../../src/sources/selectSocketSource.js';
import type { SocketSource } from '../../../src/sources/socketSource.js';
import { silentLogger } from '../../helpers/collect.js';
import { SysteminformationSocketSource, systeminformationLister } from '../../../src/sources/systeminformationSource.js';
import { eventually, startExporter } from '../../helpers/exporterProcess.js';
import { RecordingSink } from '../../helpers/recordingSink.js';

/** auto on this host's /proc opens a real sock_diag socket (the choices that open nothing: test/unit/sources/sourceChoice.test.ts). */
describe('selectSocketSource', () => {
  const names = (s: SocketSource) => (s instanceof FallbackSocketSource ? [s.primary.name, s.fallback.name] : [s.name, undefined]);
  it('uses netlink with a procfs fallback on Linux when /proc is our own namespace', async () => {
    expect(names(await selectSocketSource('auto', '/proc', silentLogger, 'linux'))).toEqual(['netlink', 'procfs']);
  });
});

/** Through the real package and the commands it runs (its state mapping: test/unit/sources/systeminformationStates.test.ts). */
describe('SysteminformationSocketSource', () => {
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
