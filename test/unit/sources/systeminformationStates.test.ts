import { describe, expect, it } from 'vitest';
import { SocketAggregator } from '../../../src/aggregate/socketAggregator.js';
import { STATE_CODE } from '../../../src/model/tcpState.js';
import { SysteminformationSocketSource, type ConnectionEntry } from '../../../src/sources/systeminformationSource.js';

const entry = (state: string, localPort: string, peerPort: string, localAddress = '127.0.0.1', protocol = 'tcp'): ConnectionEntry => ({
  protocol, localAddress, localPort, peerPort, state,
});

/** The listing commands' state names (netstat's, and other systems' spellings) as kernel states; what they cannot tell, unknown (the real package: test/integration/sources/socketSources.test.ts). */
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
});
