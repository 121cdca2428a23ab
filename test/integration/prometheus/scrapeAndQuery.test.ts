import { describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/exporterProcess.js';
import { scrapedExporter } from '../../helpers/scrapedExporter.js';
import { haveTool } from '../../helpers/tools.js';

describe.runIf(process.platform === 'linux' && haveTool('prometheus'))('a real Prometheus scraping the exporter', () => {
  const env = scrapedExporter(
    async (net) => {
      const port = await net.listen('127.0.0.1', { allowHalfOpen: true });
      for (let i = 0; i < 3; i++) await net.halfClose(await net.connect('127.0.0.1', port));
      return port;
    },
    (port) => ['--collector.interval=500ms', `--collector.ports.pin=${port}`],
  );

  it('scrapes the target successfully', async () => {
    const up = await eventually(async () => {
      const r = await env.prometheus().query('up{job="tcpstate"}');
      return r[0]?.value[1] === '1' ? r : undefined;
    }, 30_000, 'up == 1');
    expect(up).toHaveLength(1);
  });

  it('answers PromQL with the CLOSE_WAIT sockets the test holds', async () => {
    const expr = `tcpstate_port_sockets{role="server",port="${env.port()}",state="close_wait"}`;
    const result = await eventually(async () => {
      const r = await env.prometheus().query(expr);
      return r[0]?.value[1] === '3' ? r : undefined;
    }, 30_000, expr);
    expect(result[0]!.metric).toMatchObject({ job: 'tcpstate', role: 'server', port: String(env.port()), state: 'close_wait' });
  });

  it('ingests the kernel counters as counters (rate works) and every collector succeeds', async () => {
    const rate = await eventually(async () => {
      const r = await env.prometheus().query('rate(tcpstate_tcp_active_opens_total[10s])');
      return r.length === 1 ? r : undefined;
    }, 30_000, 'rate over active opens');
    expect(Number(rate[0]!.value[1])).toBeGreaterThanOrEqual(0);
    const failed = await env.prometheus().query('tcpstate_collector_success == 0');
    expect(failed).toEqual([]);
  });
});
