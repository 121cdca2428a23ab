import { describe, expect, it } from 'vitest';
import { COLLECTOR_NAMES } from '../../../src/collectors/index.js';
import { parseCommandLine } from '../../../src/config.js';
import { FLAGS, type FlagSpec } from '../../../src/config/flags.js';
import { collectorsNeeded, describeInertFlag } from '../../../src/config/inertFlags.js';

const inert = (...argv: string[]) => parseCommandLine(argv).config.inertFlags;

describe('a collector option given while its collector is off', () => {
  it.each<[string, string[], Array<{ flag: string; missing: string[]; anyOf?: true }>]>([
    ['netns receive buffer, netns and connections off', ['--collector.netns.receive-buffer=4194304'], [{ flag: 'collector.netns.receive-buffer', missing: ['netns', 'connections'] }]],
    ['netns receive buffer, connections off', ['--collector.netns', '--collector.netns.receive-buffer=4194304'], [{ flag: 'collector.netns.receive-buffer', missing: ['connections'] }]],
    ['netns receive buffer with both', ['--collector.netns', '--collector.connections', '--collector.netns.receive-buffer=4194304'], []],
    ['connections receive buffer without connections', ['--collector.connections.receive-buffer=65536'], [{ flag: 'collector.connections.receive-buffer', missing: ['connections'] }]],
    ['connections receive buffer with connections', ['--collector.connections.receive-buffer=65536', '--collector.connections'], []],
    ['processes options without processes', ['--collector.processes.top=5', '--collector.processes.pid'], [{ flag: 'collector.processes.top', missing: ['processes'] }, { flag: 'collector.processes.pid', missing: ['processes'] }]],
    ['netns ports with --no-collector.netns', ['--no-collector.netns', '--collector.netns.ports'], [{ flag: 'collector.netns.ports', missing: ['netns'] }]],
    ['netns ports with --collector.netns', ['--collector.netns.ports', '--collector.netns'], []],
    ['ephemeral options with the sockets collector off, a no- twin too', ['--no-collector.sockets', '--no-collector.ephemeral.remote-address'], [{ flag: 'no-collector.ephemeral.remote-address', missing: ['sockets'] }]],
    ['ephemeral options with the sockets collector on by default', ['--collector.ephemeral.top-destinations=3'], []],
    ['an option given twice is one warning', ['--collector.processes.top=5', '--collector.processes.top=6'], [{ flag: 'collector.processes.top', missing: ['processes'] }]],
    ['options of several collectors: ports and series are everyone\'s', ['--collector.ports.pin=80', '--collector.series.keep-cycles=3', '--collector.interval=1s'], []],
    ['nothing given: defaults are not warned about', [], []],
    [
      'ports and series options with every collector that reads them off',
      ['--collector.disable-defaults', '--collector.snmp', '--collector.ports.max-server=3', '--collector.series.keep-cycles=2'],
      [
        { flag: 'collector.ports.max-server', missing: ['sockets', 'connections'], anyOf: true },
        { flag: 'collector.series.keep-cycles', missing: ['sockets', 'connections'], anyOf: true },
      ],
    ],
    ['ports options with only the connections collector that reads them', ['--collector.disable-defaults', '--collector.connections', '--collector.ports.pin=80'], []],
    ['ephemeral-by-number with only the netns collector that reads it', ['--collector.disable-defaults', '--collector.netns', '--collector.ports.ephemeral-by-number'], []],
    ['tcpinfo with the sockets collector off', ['--collector.tcpinfo', '--no-collector.sockets'], [{ flag: 'collector.tcpinfo', missing: ['sockets'] }]],
    ['tcpinfo after --collector.disable-defaults', ['--collector.disable-defaults', '--collector.tcpinfo'], [{ flag: 'collector.tcpinfo', missing: ['sockets'] }]],
    ['tcpinfo with the sockets collector on by default', ['--collector.tcpinfo'], []],
    ['--no-collector.tcpinfo with the sockets collector off: turning it off needs nothing', ['--no-collector.sockets', '--no-collector.tcpinfo'], []],
    ['turning the sockets collector off alone warns of nothing', ['--no-collector.sockets'], []],
  ])('%s', (_name, argv, want) => {
    expect(inert(...argv)).toEqual(want);
  });

  it('is judged against the collectors finally enabled (--collector.disable-defaults too)', () => {
    expect(inert('--collector.disable-defaults', '--collector.connections', '--collector.ephemeral.top-destinations=3')).toEqual([{ flag: 'collector.ephemeral.top-destinations', missing: ['sockets'] }]);
  });

  it('every collector option names a collector or says which it needs', () => {
    const options = Object.keys(FLAGS).filter((n) => /^collector\.[a-z]+\.[a-z]/.test(n));
    const unowned = options.filter((n) => collectorsNeeded(n, (FLAGS as Record<string, FlagSpec>)[n]?.needs).length === 0);
    // ports.* and series.*: read by several collectors, so each says which (needsAnyOf).
    expect(unowned.every((n) => /^collector\.(ports|series)\./.test(n)), unowned.join(' ')).toBe(true);
    for (const n of unowned) expect((FLAGS as Record<string, FlagSpec>)[n]?.needsAnyOf?.length ?? 0, n).toBeGreaterThan(0);
    for (const name of COLLECTOR_NAMES) expect(collectorsNeeded(`collector.${name}`, undefined)).toEqual([]);
  });

  it('is logged as one warning naming the flag and the collector flags it needs', () => {
    const [f] = inert('--collector.netns', '--collector.netns.receive-buffer=4194304');
    const said = describeInertFlag(f!);
    expect(said.msg).toBe('--collector.netns.receive-buffer has no effect without --collector.connections, which is off');
    expect(said.fields).toEqual({ flag: '--collector.netns.receive-buffer', needs: '--collector.connections' });
    expect(describeInertFlag({ flag: 'collector.netns.receive-buffer', missing: ['netns', 'connections'] }).msg).toBe(
      '--collector.netns.receive-buffer has no effect without --collector.netns and --collector.connections, which are off',
    );
    expect(describeInertFlag({ flag: 'collector.ports.pin', missing: ['sockets', 'connections'], anyOf: true }).msg).toBe(
      '--collector.ports.pin has no effect without --collector.sockets or --collector.connections, all off',
    );
  });

  it('says of a collector turned on without one it needs that it fails every cycle', () => {
    const said = describeInertFlag(inert('--no-collector.sockets', '--collector.tcpinfo')[0]!);
    expect(said.msg).toBe('--collector.tcpinfo has no effect without --collector.sockets, which is off: the tcpinfo collector fails every cycle');
    expect(said.fields).toEqual({ flag: '--collector.tcpinfo', needs: '--collector.sockets' });
  });
});
