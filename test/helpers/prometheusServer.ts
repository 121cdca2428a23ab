import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './exporterProcess.js';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * One entry of /api/v1/alerts: a pending or firing alert. `activeAt` is the RFC 3339 time the
 * alert became pending; `value` is the expression's value at the last evaluation, as text.
 */
export interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

export interface PrometheusServer {
  url: string;
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** Every pending and firing alert (GET /api/v1/alerts). */
  alerts(): Promise<ActiveAlert[]>;
  stop(): Promise<void>;
}

/** A real Prometheus on a free loopback port, with its own config and data dir, scraping `target` every second. */
export async function startPrometheus(target: string, extraConfig = ''): Promise<PrometheusServer> {
  return startPrometheusWithConfig(
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: tcpstate\n    static_configs:\n      - targets: ['${target}']\n${extraConfig}`,
  );
}

/**
 * A real Prometheus on a free loopback port with the whole configuration given (prometheus.yml
 * text: scrape jobs, rule_files with absolute paths), its own data dir, removed by stop().
 * Rejects if it is not ready within 30 s (the error carries the end of its log).
 */
export async function startPrometheusWithConfig(config: string): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tcpstate-prom-'));
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const child: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-20_000);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const server: PrometheusServer = {
    url,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
      return body.data.result;
    },
    async alerts() {
      const res = await fetch(`${url}/api/v1/alerts`);
      const body = (await res.json()) as { status: string; error?: string; data: { alerts: ActiveAlert[] } };
      if (body.status !== 'success') throw new Error(`alerts failed: ${body.error}`);
      return body.data.alerts;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await eventually(async () => ((await fetch(`${url}/-/ready`).catch(() => undefined))?.ok ? true : undefined), 30_000, 'Prometheus ready');
  } catch (err) {
    await server.stop(); // never leave a half-started server or its data dir behind
    throw new Error(`${String(err)} (log: ${log.slice(-1000)})`);
  }
  return server;
}
