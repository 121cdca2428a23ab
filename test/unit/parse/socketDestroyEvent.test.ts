import { describe, expect, it } from 'vitest';
import { newClosedSocket, type ClosedSocket } from '../../../src/model/closedSocket.js';
import { AF_INET6 } from '../../../src/parse/inetDiag.js';
import { parseSocketDestroyDatagram } from '../../../src/parse/socketDestroyEvent.js';
import { TCP_INFO } from '../../../src/parse/tcpInfo.js';
import { destroyMessage, type DestroyFields } from '../../helpers/netlinkMessages.js';

/** The values of the 5000-bytes-out, 300-back connection's client side, as 6.18 reported them. */
const CLIENT_INFO: DestroyFields['info'] = [
  { at: TCP_INFO.retransmits, bytes: 1, value: 0 },
  { at: TCP_INFO.rtt, bytes: 4, value: 29 },
  { at: TCP_INFO.totalRetrans, bytes: 4, value: 1 },
  { at: TCP_INFO.bytesAcked, bytes: 8, value: 5002 },
  { at: TCP_INFO.bytesReceived, bytes: 8, value: 301 },
  { at: TCP_INFO.segsOut, bytes: 4, value: 6 },
  { at: TCP_INFO.segsIn, bytes: 4, value: 4 },
  { at: TCP_INFO.bytesSent, bytes: 8, value: 5000 + 1448 },
  { at: TCP_INFO.bytesRetrans, bytes: 8, value: 1448 },
];

function parse(buf: Buffer): { events: ClosedSocket[]; malformed: number } {
  const events: ClosedSocket[] = [];
  const r = parseSocketDestroyDatagram(buf, 0, buf.length, newClosedSocket(), (s) => events.push(structuredClone(s)));
  expect(r.events).toBe(events.length);
  return { events, malformed: r.malformed };
}

describe('parseSocketDestroyDatagram', () => {
  const cases: Array<{ name: string; input: Buffer; want: Array<Partial<Omit<ClosedSocket, 'info'>> & { info?: Partial<ClosedSocket['info']> }>; malformed?: number }> = [
    {
      name: 'a 6.18 message (280-byte tcp_info): every field',
      input: destroyMessage({ localPort: 40000, remotePort: 7000, info: CLIENT_INFO }),
      want: [{ family: 'ipv4', localPort: 40000, remotePort: 7000, info: { retransmits: 0, rttUs: 29, totalRetrans: 1, bytesAcked: 5002, bytesReceived: 301, segsOut: 6, segsIn: 4, bytesSent: 6448, bytesRetrans: 1448 } }],
    },
    {
      name: 'IPv6',
      input: destroyMessage({ family: AF_INET6, localPort: 7000, remotePort: 40000, info: CLIENT_INFO }),
      want: [{ family: 'ipv6', localPort: 7000, remotePort: 40000 }],
    },
    {
      name: 'a 4.18 kernel: no tcpi_bytes_sent (tcp_info ends before offset 200)',
      input: destroyMessage({ localPort: 1, remotePort: 2, info: CLIENT_INFO, infoLength: 192 }),
      want: [{ info: { bytesAcked: 5002, segsIn: 4, bytesSent: -1, bytesRetrans: -1 } }],
    },
    {
      name: 'a 2.6 kernel: 104 bytes, up to tcpi_total_retrans',
      input: destroyMessage({ localPort: 1, remotePort: 2, info: CLIENT_INFO, infoLength: 104 }),
      want: [{ info: { rttUs: 29, totalRetrans: 1, bytesAcked: -1, bytesReceived: -1, segsOut: -1, segsIn: -1, bytesSent: -1 } }],
    },
    {
      name: 'no INET_DIAG_INFO attribute: every field -1',
      input: destroyMessage({ localPort: 1, remotePort: 2, infoLength: null }),
      want: [{ localPort: 1, remotePort: 2, info: { retransmits: -1, rttUs: -1, bytesAcked: -1, bytesSent: -1 } }],
    },
    {
      name: 'remote port 0 without a peer address (a listener): not disconnected',
      input: destroyMessage({ localPort: 7000, remotePort: 0 }),
      want: [{ localPort: 7000, remotePort: 0, disconnected: false }],
    },
    {
      name: 'remote port 0 with a peer address (tcp_disconnect(): an accept-queue child of a closed listener)',
      input: destroyMessage({ localPort: 7000, remotePort: 0, dst: [127, 0, 0, 1] }),
      want: [{ localPort: 7000, remotePort: 0, disconnected: true }],
    },
    {
      name: 'IPv6, remote port 0, the peer address only in its last word (::1)',
      input: destroyMessage({ family: AF_INET6, localPort: 7000, remotePort: 0, dst: [...Array<number>(15).fill(0), 1] }),
      want: [{ family: 'ipv6', remotePort: 0, disconnected: true }],
    },
    {
      name: 'a connected socket is never "disconnected"',
      input: destroyMessage({ localPort: 40000, remotePort: 7000, dst: [127, 0, 0, 1] }),
      want: [{ remotePort: 7000, disconnected: false }],
    },
    {
      name: 'two messages in one datagram',
      input: Buffer.concat([destroyMessage({ localPort: 1, remotePort: 2 }), destroyMessage({ localPort: 3, remotePort: 4 })]),
      want: [{ localPort: 1 }, { localPort: 3 }],
    },
    {
      name: 'a listener (remote port 0) is still an event: the aggregate decides',
      input: destroyMessage({ localPort: 7000, remotePort: 0 }),
      want: [{ localPort: 7000, remotePort: 0 }],
    },
    {
      name: 'truncated datagram (nlmsg_len past the end): malformed, nothing read',
      input: destroyMessage({ localPort: 1, remotePort: 2 }).subarray(0, 100),
      want: [],
      malformed: 1,
    },
    {
      name: 'unknown family: malformed',
      input: destroyMessage({ family: 1, localPort: 1, remotePort: 2 }),
      want: [],
      malformed: 1,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { events, malformed } = parse(c.input);
      expect(malformed).toBe(c.malformed ?? 0);
      expect(events).toHaveLength(c.want.length);
      c.want.forEach((w, i) => {
        const { info, ...rest } = w;
        expect(events[i]).toMatchObject(rest);
        if (info) expect(events[i]!.info).toMatchObject(info);
      });
    });
  }

  it('an attribute whose length runs past the message stops the search (no read beyond it)', () => {
    const b = destroyMessage({ localPort: 1, remotePort: 2, info: CLIENT_INFO });
    b.writeUInt16LE(4000, 16 + 72 + 8); // INET_DIAG_INFO's nla_len
    const { events } = parse(b);
    expect(events[0]!.info.bytesAcked).toBe(-1);
  });
});
