import { describe, expect, it } from 'vitest';
import { newSocketRecord } from '../../../src/model/socketRecord.js';
import { LISTEN } from '../../../src/model/tcpState.js';
import { AF_INET, AF_INET6, buildInetDiagDumpRequest, NLMSG_DONE, NLMSG_ERROR, parseInetDiagBatch, TCPF_LISTEN } from '../../../src/parse/inetDiag.js';
import { readInetDiagMsg } from '../../../src/sources/netlinkSocketSource.js';
import { control, diagMessage } from '../../helpers/netlinkMessages.js';
import { RecordingSink } from '../../helpers/recordingSink.js';

function parse(buf: Buffer): { result: ReturnType<typeof parseInetDiagBatch>; sink: RecordingSink; rejected: number } {
  const sink = new RecordingSink();
  const record = newSocketRecord();
  let rejected = 0;
  const result = parseInetDiagBatch(buf, buf.length, (b, off) => {
    if (readInetDiagMsg(b, off, record)) sink.add(record);
    else rejected++;
  });
  return { result, sink, rejected };
}

describe('buildInetDiagDumpRequest', () => {
  it('asks for a TCP dump of one family and state set, with no extensions', () => {
    const req = buildInetDiagDumpRequest(AF_INET, TCPF_LISTEN, 7);
    expect(req.length).toBe(72);
    expect(req.readUInt32LE(0)).toBe(72);
    expect(req.readUInt16LE(4)).toBe(20); // SOCK_DIAG_BY_FAMILY
    expect(req.readUInt16LE(6)).toBe(0x301); // NLM_F_REQUEST | NLM_F_DUMP
    expect(req.readUInt32LE(8)).toBe(7);
    expect([req[16], req[17], req[18]]).toEqual([AF_INET, 6, 0]);
    expect(req.readUInt32LE(20)).toBe(1 << 10);
  });
});

describe('parseInetDiagBatch', () => {
  const cases: Array<{ name: string; input: Buffer; kind: string; sockets: number; errno?: number }> = [
    { name: 'two sockets then done', input: Buffer.concat([diagMessage({ inode: 1 }), diagMessage({ inode: 2 }), control(NLMSG_DONE)]), kind: 'done', sockets: 2 },
    { name: 'a batch without done continues', input: diagMessage({ inode: 1 }), kind: 'more', sockets: 1 },
    { name: 'empty batch continues', input: Buffer.alloc(0), kind: 'more', sockets: 0 },
    { name: 'kernel error', input: Buffer.concat([diagMessage({}), control(NLMSG_ERROR, 1)]), kind: 'error', sockets: 1, errno: 1 },
    { name: 'length beyond the buffer', input: diagMessage({}).subarray(0, 50), kind: 'error', sockets: 0 },
    { name: 'length smaller than a header', input: Buffer.from([4, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), kind: 'error', sockets: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { result, sink } = parse(c.input);
      expect(result.kind).toBe(c.kind);
      expect(sink.seen).toHaveLength(c.sockets);
      if (c.errno !== undefined && result.kind === 'error') expect(result.errno).toBe(c.errno);
    });
  }

  it('says so when an NLMSG_ERROR is too short to hold its errno, instead of naming errno 0', () => {
    const short = control(NLMSG_ERROR, 5).subarray(0, 16);
    short.writeUInt32LE(16, 0);
    expect(parse(short).result).toEqual({ kind: 'error', errno: 0, text: 'netlink error message without an errno (len 16)' });
    expect(parse(control(NLMSG_ERROR, 5)).result).toMatchObject({ kind: 'error', errno: 5, text: expect.stringMatching(/^netlink error EIO/) });
  });

  it('rejects a message too short for an inet_diag_msg', () => {
    const short = diagMessage({}).subarray(0, 40);
    short.writeUInt32LE(40, 0);
    expect(parse(short).result).toMatchObject({ kind: 'error', text: expect.stringMatching(/short inet_diag_msg/) });
  });
});

describe('readInetDiagMsg', () => {
  it('decodes ports and addresses in network order, queues in host order', () => {
    const { sink } = parse(diagMessage({ state: 1, timer: 2, localPort: 8080, remotePort: 40000, src: [127, 0, 0, 1], dst: [10, 1, 2, 3], rqueue: 5, wqueue: 7, inode: 4242 }));
    expect(sink.seen).toEqual([{ family: 'ipv4', state: 'established', local: '127.0.0.1:8080', remote: '10.1.2.3:40000', txQueue: 7, rxQueue: 5, timer: 2, inode: 4242 }]);
  });

  it('reads all 16 address bytes for IPv6', () => {
    const v6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5];
    const { sink } = parse(diagMessage({ family: AF_INET6, state: 10, localPort: 443, src: v6, wqueue: 4096, rqueue: 2 }));
    expect(sink.seen[0]).toMatchObject({ family: 'ipv6', state: 'listen', local: '[2001:db8:0:0:0:0:0:5]:443', txQueue: 4096, rxQueue: 2 });
  });

  it('leaves no IPv6 bytes behind in the reused record when an IPv4 socket follows, wherever the datagram sits', () => {
    const v6 = [0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    const both = Buffer.concat([diagMessage({ family: AF_INET6, state: 1, src: v6, dst: v6, localPort: 443, remotePort: 50000 }), diagMessage({ state: 1, src: [10, 0, 0, 1], dst: [10, 0, 0, 2], localPort: 443, remotePort: 50001 })]);
    // The datagram one byte into a larger buffer: the reads must not assume an aligned buffer.
    const shifted = Buffer.alloc(both.length + 1);
    both.copy(shifted, 1);
    const record = newSocketRecord();
    const first = readInetDiagMsg(shifted.subarray(1), 16, record);
    expect([first, record.family, Array.from(record.remoteAddress)]).toEqual([true, 'ipv6', v6]);
    const second = readInetDiagMsg(shifted.subarray(1), both.length / 2 + 16, record);
    expect([second, record.family, record.localPort, record.remotePort]).toEqual([true, 'ipv4', 443, 50001]);
    expect(Array.from(record.localAddress)).toEqual([10, 0, 0, 1, ...new Array(12).fill(0)]);
    expect(Array.from(record.remoteAddress)).toEqual([10, 0, 0, 2, ...new Array(12).fill(0)]);
  });

  it('keeps idiag_state as the kernel\'s code: TCP_LISTEN is 10, TCPF_LISTEN its bit', () => {
    const record = newSocketRecord();
    expect(readInetDiagMsg(diagMessage({ state: 10 }), 16, record)).toBe(true);
    expect(record.state).toBe(LISTEN);
    expect(LISTEN).toBe(10);
    expect(TCPF_LISTEN).toBe(0x400);
  });

  it('rejects an unknown family or state instead of miscounting it', () => {
    expect(parse(diagMessage({ family: 1 })).rejected).toBe(1);
    expect(parse(diagMessage({ state: 12 })).rejected).toBe(1);
    expect(parse(diagMessage({ state: 0 })).rejected).toBe(1);
  });
});
