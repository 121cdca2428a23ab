import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SocketAggregator } from '../../src/aggregate/socketAggregator.js';
import { STATE_INDEX } from '../../src/model/tcpState.js';
import { selectSocketSource } from '../../src/sources/selectSocketSource.js';
import { SysteminformationSocketSource, type ConnectionEntry } from '../../src/sources/systeminformationSource.js';
import { fixture } from '../helpers/paths.js';
import { RecordingSink } from '../helpers/recordingSink.js';

const entry = (state: string, localPort: string, peerPort: string, localAddress = '127.0.0.1', protocol = 'tcp'): ConnectionEntry => ({
  protocol, localAddress, localPort, peerAddress: '127.0.0.1', peerPort, state,
});

describe('selectSocketSource', () => {
  it('uses procfs on Linux even when the tree lacks net/tcp', async () => {
    expect((await selectSocketSource('auto', '/nonexistent', 'linux')).name).toBe('procfs');
  });
  it('uses a fixture tree on other systems when it has net/tcp', async () => {
    expect((await selectSocketSource('auto', fixture('proc'), 'darwin')).name).toBe('procfs');
  });
  it('falls back to systeminformation on other systems without procfs', async () => {
    expect((await selectSocketSource('auto', '/nonexistent', 'darwin')).name).toBe('systeminformation');
  });
  it('honours an explicit choice', async () => {
    expect((await selectSocketSource('systeminformation', fixture('proc'), 'linux')).name).toBe('systeminformation');
  });
});

describe('SysteminformationSocketSource', () => {
  it('maps netstat-style states, puts listeners first, and marks timers and backlogs unknown', async () => {
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
    expect(s.serverPorts[0]!.states[STATE_INDEX.close_wait]).toBe(1);
    expect(s.byFamily.ipv6[STATE_INDEX.time_wait]).toBe(1);
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
});
