import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessesCollector } from '../../../src/collectors/processesCollector.js';
import { selectSocketSource } from '../../../src/sources/selectSocketSource.js';
import { silentLogger } from '../../helpers/collect.js';
import { eventually, startExporter, type RunningExporter } from '../../helpers/exporterProcess.js';

/**
 * A Node.js >= 24 binary: this runtime's if it is one, else TCPSTATE_TEST_NODE24 (scripts/test.sh
 * fetches the official binary). In CI (CI=true) a missing binary fails the test instead of skipping it.
 */
function node24(): string | undefined {
  if (Number(process.versions.node.split('.')[0]) >= 24) return process.execPath;
  const path = process.env['TCPSTATE_TEST_NODE24'];
  if (path && existsSync(path)) return path;
  if (process.env['CI'] === 'true') throw new Error('a Node.js >= 24 binary is required in CI: set TCPSTATE_TEST_NODE24');
  return undefined;
}

/** Listens on loopback and keeps 3 connections whose clients closed (CLOSE_WAIT); prints its port. */
const HOLDER = `
const net = require('node:net');
const held = [];
const server = net.createServer({ allowHalfOpen: true }, (s) => held.push(s));
server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  for (let i = 0; i < 3; i++) await new Promise((r) => { const c = net.connect(port, '127.0.0.1', () => { c.end(); r(); }); });
  const poll = () => (held.length === 3 ? console.log(JSON.stringify({ port, pid: process.pid })) : setTimeout(poll, 20));
  poll();
});`;

const NODE24 = node24();
const ctx = { procfs: '/proc', log: silentLogger };

describe.runIf(process.platform === 'linux' && NODE24 !== undefined)('process names under Node.js >= 24 (main thread named MainThread)', () => {
  let holder: ChildProcess;
  let pid = 0;
  beforeAll(async () => {
    // argv[0] differs from the executable's file name, so the name can only come from argv[0].
    holder = spawn(NODE24!, ['-e', HOLDER], { argv0: '/srv/bin/orders-api-service', stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: holder.stdout! }).once('line', resolve);
      holder.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
    });
    pid = (JSON.parse(line) as { pid: number }).pid;
  });
  afterAll(() => holder?.kill('SIGKILL'));

  it('the runtime does rename its main thread (what this test is about)', () => {
    expect(readFileSync(`/proc/${pid}/comm`, 'utf8')).toBe('MainThread\n');
  });

  it('names the process after argv[0], cut to 15 bytes as comm is, by name and by pid', async () => {
    const sources = await selectSocketSource('auto', '/proc', silentLogger);
    const byName = await new ProcessesCollector(sources, { intervalMs: 60_000, top: 1000, pids: false }).collect(ctx);
    expect(byName.top).toContainEqual({ state: 'close_wait', process: 'orders-api-serv', pid: '', sockets: 3 });
    expect(byName.top.some((t) => t.process === 'MainThread')).toBe(false);
    const byPid = await new ProcessesCollector(sources, { intervalMs: 60_000, top: 1000, pids: true }).collect(ctx);
    expect(byPid.top).toContainEqual({ state: 'listen', process: 'orders-api-serv', pid: String(pid), sockets: 1 });
  });

  describe('the exporter itself on Node.js >= 24, started through its bin', () => {
    let exporter: RunningExporter;
    beforeAll(async () => {
      const PATH = `${dirname(NODE24!)}:${process.env['PATH'] ?? ''}`;
      exporter = await startExporter(['--collector.processes', '--collector.processes.pid', '--collector.processes.top=100'], { ...process.env, PATH });
    });
    afterAll(async () => {
      await exporter?.stop('SIGKILL');
    });

    it('reports its own listener under "node", not "MainThread"', async () => {
      const pid = exporter.child.pid!;
      expect(readFileSync(`/proc/${pid}/comm`, 'utf8')).toBe('MainThread\n');
      const body = await eventually(async () => {
        const text = await (await fetch(`${exporter.url}/metrics`)).text();
        return text.includes('tcpstate_process_sockets{') ? text : undefined;
      }, 20_000, 'a process scan');
      expect(body).toContain(`tcpstate_process_sockets{process="node",pid="${pid}",state="listen"} 1`);
      expect(body).not.toContain('process="MainThread"');
    });
  });
});
