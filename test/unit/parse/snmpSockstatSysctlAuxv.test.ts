import { describe, expect, it } from 'vitest';
import { parseAuxvPageSize } from '../../../src/parse/auxvPageSize.js';
import { ParseError } from '../../../src/parse/parseError.js';
import { parseProcNetSnmp } from '../../../src/parse/procNetSnmp.js';
import { parseProcNetSockstat } from '../../../src/parse/procNetSockstat.js';
import { parseSysctlIntegers } from '../../../src/parse/sysctlValue.js';

describe('parseProcNetSnmp', () => {
  const cases: Array<{ name: string; input: string; want?: Record<string, Record<string, number>>; wantErr?: RegExp }> = [
    {
      name: 'two protocols, negative value',
      input: 'Ip: Forwarding DefaultTTL\nIp: 1 64\nTcp: RtoAlgorithm MaxConn ActiveOpens\nTcp: 1 -1 42\n',
      want: { Ip: { Forwarding: 1, DefaultTTL: 64 }, Tcp: { RtoAlgorithm: 1, MaxConn: -1, ActiveOpens: 42 } },
    },
    { name: 'empty', input: '', want: {} },
    { name: 'value line shorter than header', input: 'Tcp: A B C\nTcp: 1 2\n', wantErr: /3 names but 2 values/ },
    { name: 'header without values', input: 'Tcp: A B\n', wantErr: /without a value line/ },
    { name: 'values of another protocol', input: 'Tcp: A\nUdp: 1\n', wantErr: /followed by another protocol/ },
    { name: 'not a number', input: 'Tcp: A\nTcp: x1\n', wantErr: /not an integer.*x1/ },
    { name: 'no prefix', input: 'garbage\nmore\n', wantErr: /without a "Proto:" prefix/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      if (c.wantErr) {
        expect(() => parseProcNetSnmp('/proc/net/snmp', c.input)).toThrow(c.wantErr);
        expect(() => parseProcNetSnmp('/proc/net/snmp', c.input)).toThrow(ParseError);
        return;
      }
      const got = parseProcNetSnmp('/proc/net/snmp', c.input);
      expect(Object.fromEntries([...got].map(([k, v]) => [k, Object.fromEntries(v)]))).toEqual(c.want);
    });
  }
});

describe('parseProcNetSockstat', () => {
  it('reads each protocol line as key/value pairs', () => {
    const got = parseProcNetSockstat('sockstat', 'sockets: used 9\nTCP: inuse 1 orphan 0 tw 2 alloc 3 mem 206\n');
    expect(Object.fromEntries(got.get('TCP')!)).toEqual({ inuse: 1, orphan: 0, tw: 2, alloc: 3, mem: 206 });
    expect(got.get('sockets')!.get('used')).toBe(9);
  });
  it('rejects a key without a value, with the line in the message', () => {
    expect(() => parseProcNetSockstat('sockstat', 'TCP: inuse 2 mem\n')).toThrow(/key without a value.*inuse 2 mem/);
  });
  it('rejects a negative or non-numeric count', () => {
    expect(() => parseProcNetSockstat('sockstat', 'TCP: inuse -2\n')).toThrow(/not a count/);
  });
});

describe('parseSysctlIntegers', () => {
  const cases = [
    { name: 'one value', input: '7200\n', count: 1, want: [7200] },
    { name: 'port range, tab separated', input: '32768\t60999\n', count: 2, want: [32768, 60999] },
    { name: 'negative', input: '-1\n', count: 1, want: [-1] },
    { name: 'not a number', input: 'seventy\n', count: 1, wantErr: /not an integer/ },
    { name: 'too many values', input: '1 2\n', count: 1, wantErr: /expected 1 integer/ },
    { name: 'empty', input: '', count: 1, wantErr: /found 0/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      if (c.wantErr) expect(() => parseSysctlIntegers('f', c.input, c.count)).toThrow(c.wantErr);
      else expect(parseSysctlIntegers('f', c.input, c.count)).toEqual(c.want);
    });
  }
});

describe('parseAuxvPageSize', () => {
  const auxv = (pairs: Array<[number, number]>): Buffer => {
    const b = Buffer.alloc(pairs.length * 16);
    pairs.forEach(([t, v], i) => {
      b.writeBigUInt64LE(BigInt(t), i * 16);
      b.writeBigUInt64LE(BigInt(v), i * 16 + 8);
    });
    return b;
  };
  it('finds AT_PAGESZ', () => expect(parseAuxvPageSize(auxv([[33, 1], [6, 16384], [0, 0]]))).toBe(16384));
  it('stops at AT_NULL', () => expect(parseAuxvPageSize(auxv([[0, 0], [6, 4096]]))).toBeNull());
  it('rejects an implausible size', () => expect(parseAuxvPageSize(auxv([[6, 1000]]))).toBeNull());
  it('handles a truncated vector', () => expect(parseAuxvPageSize(Buffer.alloc(7))).toBeNull());
});
