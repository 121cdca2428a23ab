import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ESTABLISHED, LISTEN, STATE_CODE, TIME_WAIT } from '../../../src/model/tcpState.js';
import { parseProcNetTcp, ProcNetTcpParser } from '../../../src/parse/procNetTcp.js';
import { fixture } from '../../helpers/paths.js';
import { RecordingSink } from '../../helpers/recordingSink.js';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const LISTEN_8080 = '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000003 00:00000000 00000000  1000        0 4365 1 0000000000000000 100 0 0 10 0\n';
const EST = '   1: 0100007F:1F90 0100007F:9C40 01 00000100:00000200 02:000A5F3C 00000000  1000        0 4366 1 0000000000000000 20 4 30 10 -1\n';

describe('TCP states in the kernel\'s numbering', () => {
  it('keeps the code /proc/net/tcp prints: 0A is LISTEN = 10, 01 to 0B are 1 to 11 as in include/net/tcp_states.h', () => {
    expect({ ESTABLISHED, TIME_WAIT, LISTEN }).toEqual({ ESTABLISHED: 1, TIME_WAIT: 6, LISTEN: 10 });
    expect(STATE_CODE).toEqual({ established: 1, syn_sent: 2, syn_recv: 3, fin_wait1: 4, fin_wait2: 5, time_wait: 6, close: 7, close_wait: 8, last_ack: 9, listen: 10, closing: 11 });
    const codes: number[] = [];
    const rows = ['01', '02', '03', '04', '05', '06', '07', '08', '09', '0A', '0B'].map((st) => EST.replace(' 01 ', ` ${st} `));
    const stats = parseProcNetTcp('ipv4', HEADER + LISTEN_8080 + rows.join(''), { add: (s) => void codes.push(s.state) });
    expect(stats.malformed).toBe(0);
    expect(codes).toEqual([LISTEN, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });
});

describe('parseProcNetTcp (IPv4)', () => {
  const cases: Array<{ name: string; input: string; want: { sockets: number; malformed: number; states?: string[] }; wantError?: RegExp }> = [
    { name: 'header only', input: HEADER, want: { sockets: 0, malformed: 0 } },
    { name: 'empty file', input: '', want: { sockets: 0, malformed: 0 } },
    { name: 'listen and established', input: HEADER + LISTEN_8080 + EST, want: { sockets: 2, malformed: 0, states: ['listen', 'established'] } },
    { name: 'no trailing newline', input: HEADER + LISTEN_8080 + EST.trimEnd(), want: { sockets: 2, malformed: 0 } },
    { name: 'CRLF line ends', input: (HEADER + EST).replace(/\n/g, '\r\n'), want: { sockets: 1, malformed: 0 } },
    { name: 'truncated line', input: HEADER + EST.slice(0, 40) + '\n' + LISTEN_8080, want: { sockets: 1, malformed: 1 }, wantError: /bad tx_queue/ },
    { name: 'non-hex state', input: HEADER + EST.replace(' 01 ', ' ZZ '), want: { sockets: 0, malformed: 1 }, wantError: /bad state/ },
    { name: 'state 0 and 12 are not user-visible states', input: HEADER + EST.replace(' 01 ', ' 00 ') + EST.replace(' 01 ', ' 0C '), want: { sockets: 0, malformed: 2 }, wantError: /bad state 0/ },
    { name: 'port wider than 4 digits', input: HEADER + EST.replace(':1F90 ', ':1F900 '), want: { sockets: 0, malformed: 1 }, wantError: /bad local port/ },
    { name: 'address too short', input: HEADER + EST.replace('0100007F:1F90', '100007F:1F90'), want: { sockets: 0, malformed: 1 }, wantError: /bad local address/ },
    { name: 'missing inode column', input: HEADER + '   1: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0\n', want: { sockets: 0, malformed: 1 }, wantError: /bad inode/ },
    { name: 'huge line', input: HEADER + `   1: ${'F'.repeat(5000)}\n` + EST, want: { sockets: 1, malformed: 1 }, wantError: /longer than/ },
    { name: 'garbage bytes', input: '\u0000\u00ff\u0001garbage\n' + EST, want: { sockets: 1, malformed: 1 }, wantError: /bad slot column/ },
    { name: 'blank lines are ignored', input: HEADER + '\n   \n' + EST, want: { sockets: 1, malformed: 0 } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const sink = new RecordingSink();
      const stats = parseProcNetTcp('ipv4', c.input, sink);
      expect({ sockets: stats.sockets, malformed: stats.malformed }).toEqual({ sockets: c.want.sockets, malformed: c.want.malformed });
      expect(sink.seen).toHaveLength(c.want.sockets);
      if (c.want.states) expect(sink.seen.map((s) => s.state)).toEqual(c.want.states);
      if (c.wantError) expect(stats.firstError).toMatch(c.wantError);
      else expect(stats.firstError).toBeUndefined();
    });
  }

  it('decodes addresses, ports, queues, timer and inode', () => {
    const sink = new RecordingSink();
    parseProcNetTcp('ipv4', HEADER + LISTEN_8080 + EST, sink);
    expect(sink.seen).toEqual([
      // LISTEN: rx_queue is the accept queue; this format does not carry the backlog (tx is -1 = unknown).
      { family: 'ipv4', state: 'listen', local: '127.0.0.1:8080', remote: '0.0.0.0:0', txQueue: -1, rxQueue: 3, timer: 0, inode: 4365 },
      { family: 'ipv4', state: 'established', local: '127.0.0.1:8080', remote: '127.0.0.1:40000', txQueue: 256, rxQueue: 512, timer: 2, inode: 4366 },
    ]);
  });

  it('reads big-endian kernels\' addresses in the other byte order', () => {
    const sink = new RecordingSink();
    const parser = new ProcNetTcpParser('ipv4', sink, false);
    parser.push(Buffer.from(HEADER + EST.replace('0100007F:1F90 0100007F', '7F000001:1F90 7F000001')));
    parser.finish();
    expect(sink.seen[0]!.local).toBe('127.0.0.1:8080');
  });

  it('gives the same result however the file is split into chunks', () => {
    const content = readFileSync(join(fixture('proc'), 'net/tcp'));
    const whole = new RecordingSink();
    parseProcNetTcp('ipv4', content, whole);
    for (const size of [1, 7, 64, 150, 4096]) {
      const sink = new RecordingSink();
      const parser = new ProcNetTcpParser('ipv4', sink);
      for (let i = 0; i < content.length; i += size) parser.push(content.subarray(i, i + size));
      const stats = parser.finish();
      expect(stats.malformed).toBe(0);
      expect(sink.seen).toEqual(whole.seen);
    }
  });

  it('reports every broken line of the broken fixture and keeps the good ones', () => {
    const sink = new RecordingSink();
    const stats = parseProcNetTcp('ipv4', readFileSync(join(fixture('proc-broken'), 'net/tcp')), sink);
    // Good: the listener, one established, and the last line (no newline). Broken: six.
    expect(sink.seen.map((s) => `${s.state} ${s.local}`)).toEqual(['listen 127.0.0.1:8080', 'established 127.0.0.1:8080', 'close_wait 127.0.0.1:40005']);
    expect(stats.malformed).toBe(6);
    expect(stats.firstError).toContain('0100007F:1F90 0100007F:9');
  });
});

describe('parseProcNetTcp (IPv6)', () => {
  it('decodes each 32-bit word in host byte order', () => {
    const sink = new RecordingSink();
    const stats = parseProcNetTcp('ipv6', readFileSync(join(fixture('proc'), 'net/tcp6')), sink);
    expect(stats).toMatchObject({ sockets: 5, malformed: 0 });
    expect(sink.seen.map((s) => `${s.state} ${s.local} ${s.remote}`)).toEqual([
      'listen [0:0:0:0:0:0:0:0]:9090 [0:0:0:0:0:0:0:0]:0',
      'established [0:0:0:0:0:ffff:7f00:1]:9090 [0:0:0:0:0:ffff:7f00:1]:40100',
      'established [0:0:0:0:0:0:0:1]:9090 [0:0:0:0:0:0:0:1]:40101',
      'established [0:0:0:0:0:0:0:1]:40101 [0:0:0:0:0:0:0:1]:9090',
      'time_wait [2001:db8:0:0:0:0:0:5]:41010 [2001:db8:0:0:0:0:0:7]:443',
    ]);
  });

  it('rejects an IPv4-width address in the IPv6 table', () => {
    const sink = new RecordingSink();
    const stats = parseProcNetTcp('ipv6', HEADER + EST, sink);
    expect(stats).toMatchObject({ sockets: 0, malformed: 1 });
  });
});
