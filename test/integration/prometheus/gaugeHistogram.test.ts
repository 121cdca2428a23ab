import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { RTT_BUCKETS_US } from '../../../src/aggregate/tcpInfoAggregator.js';
import { eventually } from '../../helpers/exporterProcess.js';
import { scrapedExporter } from '../../helpers/scrapedExporter.js';
import { haveTool } from '../../helpers/tools.js';

const HELD = 5;

/**
 * tcpstate_port_rtt_seconds is an OpenMetrics gaugehistogram: what a real Prometheus (which asks
 * for OpenMetrics first) stores of it, and what promtool says of the text format's histogram.
 */
describe.runIf(process.platform === 'linux' && haveTool('prometheus'))(`a real Prometheus ingesting the RTT gauge histogram of ${HELD} held connections`, () => {
  const env = scrapedExporter(
    async (net) => {
      const port = await net.listen('127.0.0.1');
      for (let i = 0; i < HELD; i++) await net.connect('127.0.0.1', port);
      return port;
    },
    (port) => ['--collector.tcpinfo', '--collector.interval=500ms', '--collector.series.admit-cycles=0', `--collector.ports.pin=${port}`],
  );
  const sel = (): string => `{job="tcpstate",role="server",port="${env.port()}"}`;

  it('stores every bucket and the count and sum as _gcount and _gsum (not _count and _sum), typed gaugehistogram', async () => {
    const inf = await eventually(async () => {
      const r = await env.prometheus().query(`tcpstate_port_rtt_seconds_bucket${sel().replace('}', ',le="+Inf"}')}`);
      return r[0]?.value[1] === String(HELD) ? r : undefined;
    }, 30_000, `+Inf bucket of port ${env.port()} == ${HELD}`);
    expect(inf).toHaveLength(1);
    expect(await env.prometheus().query(`count(tcpstate_port_rtt_seconds_bucket${sel()})`)).toMatchObject([{ value: [expect.any(Number), String(RTT_BUCKETS_US.length + 1)] }]);
    expect(await env.prometheus().query(`tcpstate_port_rtt_seconds_gcount${sel()}`)).toMatchObject([{ value: [expect.any(Number), String(HELD)] }]);
    const sum = await env.prometheus().query(`tcpstate_port_rtt_seconds_gsum${sel()}`);
    expect(Number(sum[0]?.value[1])).toBeGreaterThan(0);
    expect(await env.prometheus().query('{__name__=~"tcpstate_port_rtt_seconds_(count|sum)"}')).toEqual([]);
    const res = await fetch(`${env.prometheus().url}/api/v1/metadata?metric=tcpstate_port_rtt_seconds`);
    const meta = (await res.json()) as { data: Record<string, Array<{ type: string }>> };
    expect(meta.data['tcpstate_port_rtt_seconds']?.[0]?.type).toBe('gaugehistogram');
  });

  it('answers histogram_quantile() over the buckets as the dashboards query them', async () => {
    const q = await env.prometheus().query(`histogram_quantile(0.99, sum by (instance, role, port, le) (tcpstate_port_rtt_seconds_bucket${sel()}))`);
    expect(q).toHaveLength(1);
    const p99 = Number(q[0]!.value[1]);
    // Within the buckets' range: a real quantile, not NaN (no buckets) or +Inf (only the +Inf bucket).
    expect(p99).toBeGreaterThan(0);
    expect(p99).toBeLessThanOrEqual(RTT_BUCKETS_US.at(-1)! / 1e6);
  });

  it('serves a text-format scrape the histogram it served before, which promtool check metrics accepts', async () => {
    const text = await (await fetch(`${env.exporter().url}/metrics`, { headers: { accept: 'text/plain; version=0.0.4' } })).text();
    expect(text).toContain('# TYPE tcpstate_port_rtt_seconds histogram\n');
    expect(text).toContain(`tcpstate_port_rtt_seconds_count{role="server",port="${env.port()}"} ${HELD}\n`);
    if (!haveTool('promtool')) return;
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
  });
});
