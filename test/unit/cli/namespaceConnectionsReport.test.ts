import { describe, expect, it } from 'vitest';
import { namespaceConnectionsSection } from '../../../src/cli/connectionsReport.js';
import type { NetnsResult } from '../../../src/collectors/netnsCollector.js';
import { zeroStates } from '../../../src/model/tcpState.js';

const table = (header: readonly string[], rows: readonly (readonly (string | number)[])[]): string => [header, ...rows].map((r) => r.join('|')).join('\n');

const events = { closed: 60, bytesSent: 159_000, bytesReceived: 159_000, segmentsOut: 600, segmentsIn: 610, retransmitted: 2, lost: 1 };

function result(connectionEvents: NetnsResult['connectionEvents']): NetnsResult {
  return {
    namespaces: [
      { netns: 'host', podUid: '', containerId: '', states: zeroStates(), closedConnections: { ...events, closed: 4 } },
      { netns: '4026532101', podUid: '6f1c2b3a-4d5e-4f60-8a9b-0c1d2e3f4a5b', containerId: 'aa', states: zeroStates(), closedConnections: events },
      { netns: '4026532102', podUid: '', containerId: '', states: zeroStates() },
    ],
    found: 3,
    skipped: 0,
    failed: 0,
    unreadableProcesses: 0,
    ...(connectionEvents ? { connectionEvents } : {}),
  };
}

describe('snapshot section of the per-namespace closed connections', () => {
  it('lists the namespaces whose events are read, and says how many collected ones are not, and why', () => {
    const out = namespaceConnectionsSection(result({ read: 2, unread: 1, refused: 'setns() refused: needs CAP_SYS_ADMIN' }), table);
    expect(out[0]).toBe('CLOSED CONNECTIONS PER NETWORK NAMESPACE (read in 2 of 3 collected; others not read: setns() refused: needs CAP_SYS_ADMIN)');
    expect(out[1]!.split('\n')).toEqual([
      'NETNS|POD|CLOSED|SENT|RECEIVED|SEGS-OUT|SEGS-IN|RETRANS|LOST',
      'host|-|4|155.3 KiB|155.3 KiB|600|610|2|1',
      '4026532101|6f1c2b3a-4d5e-4f60-8a9b-0c1d2e3f4a5b|60|155.3 KiB|155.3 KiB|600|610|2|1',
    ]);
  });

  it('prints nothing when --collector.connections is off', () => {
    expect(namespaceConnectionsSection(result(undefined), table)).toEqual([]);
  });
});
