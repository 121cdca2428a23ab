import { describe, expect, it } from 'vitest';
import { AF_INET, buildInetDiagDumpRequest, newInetDiagFields, NLMSG_DONE, NLMSG_ERROR, parseInetDiagBatch, TCPF_LISTEN, type InetDiagFields } from '../../src/parse/inetDiag.js';
import { control, diagMessage } from '../helpers/netlinkMessages.js';

function parse(buf: Buffer): { result: ReturnType<typeof parseInetDiagBatch>; seen: InetDiagFields[] } {
  const seen: InetDiagFields[] = [];
  const result = parseInetDiagBatch(buf, buf.length, newInetDiagFields(), (f) => seen.push({ ...f }));
  return { result, seen };
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
      const { result, seen } = parse(c.input);
      expect(result.kind).toBe(c.kind);
      expect(seen).toHaveLength(c.sockets);
      if (c.errno !== undefined && result.kind === 'error') expect(result.errno).toBe(c.errno);
    });
  }

  it('decodes ports in network order and queues in host order', () => {
    const { seen } = parse(diagMessage({ localPort: 8080, remotePort: 443, rqueue: 3, wqueue: 511, inode: 4242, state: 10 }));
    expect(seen[0]).toMatchObject({ localPort: 8080, remotePort: 443, rqueue: 3, wqueue: 511, inode: 4242, state: 10 });
  });

  it('rejects a message too short for an inet_diag_msg', () => {
    const short = diagMessage({}).subarray(0, 40);
    short.writeUInt32LE(40, 0);
    expect(parse(short).result).toMatchObject({ kind: 'error', text: expect.stringMatching(/short inet_diag_msg/) });
  });
});
