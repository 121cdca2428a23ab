import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWebConfig, WebConfigError } from '../../../src/config/webConfig.js';
import { parseAuxvPageSize } from '../../../src/parse/auxvPageSize.js';
import { parseCgroupIdentity } from '../../../src/parse/cgroup.js';
import { parseInetDiagBatch } from '../../../src/parse/inetDiag.js';
import { ParseError } from '../../../src/parse/parseError.js';
import { parseProcNetSnmp } from '../../../src/parse/procNetSnmp.js';
import { parseProcNetSockstat } from '../../../src/parse/procNetSockstat.js';
import { ProcNetTcpParser } from '../../../src/parse/procNetTcp.js';
import { parsePortList, parseSysctlIntegers } from '../../../src/parse/sysctlValue.js';
import type { SocketRecord } from '../../../src/model/socketRecord.js';
import { isStateCode } from '../../../src/model/tcpState.js';

/**
 * Property-based fuzzing of every parser: random bytes, truncated and huge lines, wrong column
 * counts and non-hex fields. Each parser returns a result or its own typed error, never anything
 * else, and never hangs (vitest's timeout); the socket-table parser never throws at all and
 * keeps its counts consistent however the input is cut into chunks.
 */
const RUNS = { numRuns: 300 };

/** A /proc/net/tcp line from fields, optionally damaged. */
const tcpLine = fc
  .record({
    sl: fc.nat(99999),
    laddr: fc.integer({ min: 0, max: 0xffffffff }),
    lport: fc.integer({ min: 0, max: 0xffff }),
    raddr: fc.integer({ min: 0, max: 0xffffffff }),
    rport: fc.integer({ min: 0, max: 0xffff }),
    state: fc.integer({ min: 0, max: 0xff }),
    tx: fc.integer({ min: 0, max: 0xffffffff }),
    rx: fc.integer({ min: 0, max: 0xffffffff }),
    tr: fc.integer({ min: 0, max: 0xff }),
    inode: fc.nat(),
  })
  .map((f) => {
    const h = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');
    return `${String(f.sl).padStart(4)}: ${h(f.laddr, 8)}:${h(f.lport, 4)} ${h(f.raddr, 8)}:${h(f.rport, 4)} ${h(f.state, 2)} ${h(f.tx, 8)}:${h(f.rx, 8)} ${h(f.tr, 2)}:00000000 00000000  1000        0 ${f.inode} 1 0000000000000000 20 4 30 10 -1`;
  });

const damaged = fc.oneof(
  tcpLine,
  tcpLine.chain((l) => fc.nat(l.length).map((cut) => l.slice(0, cut))), // truncated
  tcpLine.chain((l) => fc.nat(l.length - 1).chain((at) => fc.constantFrom('G', 'z', '-', ' ', ':', '\0').map((c) => l.slice(0, at) + c + l.slice(at + 1)))), // non-hex / wrong separators
  tcpLine.map((l) => l.split(' ').filter(Boolean).slice(0, 5).join(' ')), // missing columns
  fc.string({ maxLength: 3000 }), // anything, huge lines included
  fc.constant('x'.repeat(5000)),
);

function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}

describe('ProcNetTcpParser under fuzzing', () => {
  it('never throws, accounts for every line, and gives the same result however the input is chunked', () => {
    fc.assert(
      fc.property(fc.array(damaged, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), (lines, cuts, header) => {
        const text = `${header ? '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' : ''}${lines.join('\n')}`;
        const bytes = Buffer.from(text, 'latin1');
        const whole: number[] = [];
        const parts: number[] = [];
        const sink = (into: number[]) => ({
          add: (s: Readonly<SocketRecord>) => {
            expect(isStateCode(s.state), `state ${s.state}`).toBe(true);
            into.push(s.state, s.localPort, s.remotePort, s.inode);
          },
        });
        const a = new ProcNetTcpParser('ipv4', sink(whole));
        a.push(bytes);
        const sa = a.finish();
        const b = new ProcNetTcpParser('ipv4', sink(parts));
        for (const c of chunked(bytes, cuts)) b.push(c);
        const sb = b.finish();
        expect(sb).toEqual(sa);
        expect(parts).toEqual(whole);
        expect(sa.sockets + sa.malformed).toBeLessThanOrEqual(sa.lines);
      }),
      RUNS,
    );
  });

  it('parses every well-formed line exactly', () => {
    fc.assert(
      fc.property(fc.array(tcpLine, { minLength: 1, maxLength: 30 }), (lines) => {
        const got: number[] = [];
        const p = new ProcNetTcpParser('ipv4', { add: (s) => got.push(s.localPort) });
        p.push(Buffer.from(`${lines.join('\n')}\n`, 'latin1'));
        const stats = p.finish();
        const cols = (l: string): string[] => l.trim().split(/\s+/);
        const valid = lines.filter((l) => {
          const st = parseInt(cols(l)[3]!, 16);
          return st >= 1 && st <= 11;
        });
        expect(stats.sockets).toBe(valid.length);
        expect(stats.malformed).toBe(lines.length - valid.length);
        expect(got).toEqual(valid.map((l) => parseInt(cols(l)[1]!.split(':')[1]!, 16)));
      }),
      RUNS,
    );
  });
});

/** Calls fn and accepts a result or one of the expected error classes; anything else fails. */
function resultOr(fn: () => unknown, ...errors: Array<new (...a: never[]) => Error>): void {
  try {
    fn();
  } catch (err) {
    if (!errors.some((E) => err instanceof E)) throw err;
  }
}

const text = fc.oneof(fc.string({ maxLength: 2000 }), fc.string({ unit: 'binary', maxLength: 500 }), fc.array(fc.constantFrom('Tcp:', 'TcpExt:', ' ', '\n', '1', '-', 'x', 'inuse', 'TCP:', 'mem', '0::/', 'pod', 'kubepods'), { maxLength: 200 }).map((a) => a.join('')));

describe('small-file parsers under fuzzing', () => {
  it('snmp and netstat: a result or a ParseError', () => {
    fc.assert(fc.property(text, (t) => resultOr(() => parseProcNetSnmp('snmp', t), ParseError)), RUNS);
  });
  it('sockstat: a result or a ParseError', () => {
    fc.assert(fc.property(text, (t) => resultOr(() => parseProcNetSockstat('sockstat', t), ParseError)), RUNS);
  });
  it('sysctl integers and port lists: a result or a ParseError, and ports always in range', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 2 }), (t, n) => {
        resultOr(() => parseSysctlIntegers('sysctl', t, n), ParseError);
        resultOr(() => {
          for (const p of parsePortList('ports', t)) expect(p >= 0 && p <= 65535).toBe(true);
        }, ParseError);
      }),
      RUNS,
    );
  });
  it('cgroup paths: always a result, with identities of the right shape', () => {
    fc.assert(
      fc.property(text, (t) => {
        const id = parseCgroupIdentity(t);
        if (id.podUid !== null) expect(id.podUid).toMatch(/^[0-9a-f-]{36}$/);
        if (id.containerId !== null) expect(id.containerId).toMatch(/^[0-9a-f]{64}$/);
      }),
      RUNS,
    );
  });
  it('auxv: a page size or null, never an exception', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
      const v = parseAuxvPageSize(Buffer.from(b));
      expect(v === null || (Number.isInteger(v) && v > 0)).toBe(true);
    }), RUNS);
  });
  it('web config: a config or a WebConfigError', () => {
    fc.assert(fc.property(text, (t) => resultOr(() => parseWebConfig(t, '/etc/web.yml'), WebConfigError)), RUNS);
  });
});

describe('netlink batches under fuzzing', () => {
  it('random datagrams: a result, never an exception, and every message offset inside the buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (b) => {
        const buf = Buffer.from(b);
        const r = parseInetDiagBatch(buf, buf.length, (_buf, off) => {
          expect(off + 72).toBeLessThanOrEqual(buf.length);
        });
        expect(['more', 'done', 'error']).toContain(r.kind);
      }),
      { numRuns: 1000 },
    );
  });
});
