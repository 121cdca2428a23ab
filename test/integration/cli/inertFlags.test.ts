import { describe, expect, it } from 'vitest';
import { eventually, startExporter } from '../../helpers/exporterProcess.js';
import { samplesOf } from '../../helpers/exposition.js';
import { fixture } from '../../helpers/paths.js';

interface LogLine {
  level: string;
  msg: string;
  flag?: string;
  needs?: string;
  collector?: string;
  err?: string;
  source?: string;
}

const logLines = (stderr: string): LogLine[] =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);

/** The tcpinfo collector's tcpstate_collector_success, once a cycle has reported it. */
const tcpinfoSuccess = (url: string): Promise<number> =>
  eventually(async () => samplesOf(await (await fetch(`${url}/metrics`)).text()).get('tcpstate_collector_success{collector="tcpinfo"}'), 10_000, 'the tcpinfo collector reported');

describe('the real binary started with a collector option whose collector is off', () => {
  it('starts, serves, and logs one warning naming the flag and the collector flag it needs', async () => {
    const exporter = await startExporter([`--path.procfs=${fixture('proc')}`, '--collector.connections.receive-buffer=65536', '--collector.processes.top=5', '--collector.processes.top=7']);
    try {
      expect((await fetch(`${exporter.url}/metrics`)).status).toBe(200);
      const warned = await eventually(async () => {
        const w = logLines(exporter.stderr()).filter((l) => l.flag !== undefined);
        return w.length >= 2 ? w : undefined;
      }, 10_000, 'the warnings');
      expect(warned).toEqual([
        { ...warned[0], level: 'warn', flag: '--collector.connections.receive-buffer', needs: '--collector.connections', msg: '--collector.connections.receive-buffer has no effect without --collector.connections, which is off' },
        { ...warned[1], level: 'warn', flag: '--collector.processes.top', needs: '--collector.processes', msg: '--collector.processes.top has no effect without --collector.processes, which is off' },
      ]);
    } finally {
      await exporter.stop();
    }
  });

  it('warns at start of --collector.tcpinfo without the sockets collector, which still fails every cycle', async () => {
    const exporter = await startExporter([`--path.procfs=${fixture('proc')}`, '--no-collector.sockets', '--collector.tcpinfo']);
    try {
      const warned = logLines(exporter.stderr()).filter((l) => l.flag !== undefined);
      // Logged before the "listening" line startExporter waited for: already there.
      expect(warned).toEqual([
        {
          ...warned[0],
          level: 'warn',
          flag: '--collector.tcpinfo',
          needs: '--collector.sockets',
          msg: '--collector.tcpinfo has no effect without --collector.sockets, which is off: the tcpinfo collector fails every cycle',
        },
      ]);
      // The warning adds to the per-cycle failure, it does not replace it.
      const success = await tcpinfoSuccess(exporter.url);
      expect(success).toBe(0);
      expect(logLines(exporter.stderr()).find((l) => l.msg === 'collector failed')).toMatchObject({ level: 'error', collector: 'tcpinfo', err: expect.stringContaining('needs the sockets collector') });
    } finally {
      await exporter.stop();
    }
  });

  it('warns at start of --collector.tcpinfo with a socket source other than netlink, which still fails every cycle', async () => {
    const exporter = await startExporter(['--path.procfs=/proc', '--collector.source=procfs', '--collector.tcpinfo']);
    try {
      const warned = logLines(exporter.stderr()).filter((l) => l.flag !== undefined);
      expect(warned).toEqual([
        {
          ...warned[0],
          level: 'warn',
          flag: '--collector.tcpinfo',
          source: 'procfs',
          msg: '--collector.tcpinfo has no effect with the procfs socket source (tcp_info comes from sock_diag netlink): the tcpinfo collector fails every cycle',
        },
      ]);
      const success = await tcpinfoSuccess(exporter.url);
      expect(success).toBe(0);
    } finally {
      await exporter.stop();
    }
  });

  it('says nothing of --collector.tcpinfo with the netlink source', async () => {
    const exporter = await startExporter(['--path.procfs=/proc', '--collector.source=netlink', '--collector.tcpinfo']);
    try {
      const success = await tcpinfoSuccess(exporter.url);
      expect(success).toBe(1);
      expect(logLines(exporter.stderr()).filter((l) => l.flag !== undefined || l.msg.includes('has no effect'))).toEqual([]);
    } finally {
      await exporter.stop();
    }
  });

  it('says nothing of the option when its collector is on', async () => {
    const exporter = await startExporter([`--path.procfs=${fixture('proc')}`, '--collector.processes', '--collector.processes.top=5']);
    try {
      expect((await fetch(`${exporter.url}/metrics`)).status).toBe(200);
      expect(logLines(exporter.stderr()).filter((l) => l.flag !== undefined || l.msg.includes('has no effect'))).toEqual([]);
    } finally {
      await exporter.stop();
    }
  });
});
