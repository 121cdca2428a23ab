import { afterAll, beforeAll } from 'vitest';
import { startExporter, type RunningExporter } from './exporterProcess.js';
import { LoopbackSockets } from './loopbackSockets.js';
import { startPrometheus, type PrometheusServer } from './prometheusServer.js';

/** What scrapedExporter() set up, read once its beforeAll has run. */
export interface ScrapedExporter {
  readonly net: LoopbackSockets;
  /** The server port `setUp` returned. */
  port(): number;
  exporter(): RunningExporter;
  prometheus(): PrometheusServer;
}

/**
 * For a describe block: loopback sockets made by `setUp` (which returns the server port), the real
 * exporter started with `args(port)`, and a real Prometheus scraping it; all three stopped or
 * closed after the block, even when a step failed.
 */
export function scrapedExporter(setUp: (net: LoopbackSockets) => Promise<number>, args: (port: number) => string[]): ScrapedExporter {
  const net = new LoopbackSockets();
  let port = 0;
  let exporter: RunningExporter | undefined;
  let prometheus: PrometheusServer | undefined;
  beforeAll(async () => {
    port = await setUp(net);
    exporter = await startExporter(args(port));
    prometheus = await startPrometheus(new URL(exporter.url).host);
  }, 60_000);
  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.stop();
    await net.close();
  });
  const ready = <T>(x: T | undefined): T => {
    if (x === undefined) throw new Error('scrapedExporter: used before its beforeAll ran');
    return x;
  };
  return { net, port: () => port, exporter: () => ready(exporter), prometheus: () => ready(prometheus) };
}
