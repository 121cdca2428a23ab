import { HOST_IS_LITTLE_ENDIAN } from '../model/byteOrder.js';
import { newSocketRecord, type SocketRecord, type SocketSink } from '../model/socketRecord.js';
import { isStateCode, LISTEN, type Family } from '../model/tcpState.js';

/*
 * /proc/net/tcp and /proc/net/tcp6 (net/ipv4/tcp_ipv4.c get_tcp4_sock, net/ipv6/tcp_ipv6.c
 * get_tcp6_sock; request and TIME_WAIT sockets have their own printers with the same columns):
 *
 *   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
 *    0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 12345 1 …
 *
 * - local_address/rem_address: the address as `%08X` of the in-kernel __be32, i.e. the network-order
 *   bytes read as a host-order integer. On little-endian hosts 127.0.0.1 prints as 0100007F.
 *   tcp6 prints the 16-byte address as four such words, each in host order.
 * - ports: `%04X`, already converted to host order.
 * - st: `%02X` kernel TCP state (1..11).
 * - tx_queue:rx_queue: for LISTEN, tx is write_seq - snd_una (always 0, NOT the backlog) and rx is
 *   the accept-queue length; otherwise tx is unacked + unsent bytes, rx is unread bytes.
 * - tr: 0 no timer, 1 retransmit/loss probe, 2 sk_timer (keepalive in ESTABLISHED), 3 TIME_WAIT,
 *   4 zero-window probe.
 * - uid, timeout and inode are decimal. Columns after inode are ignored.
 *
 * The parser is a byte-level state machine over chunks of the file: it never builds a string or
 * an object per socket. Lines are at most ~180 bytes; a line longer than MAX_LINE is malformed.
 */

const MAX_LINE = 1024;
const SPACE = 0x20;
const NEWLINE = 0x0a;
const COLON = 0x3a;
const MAX_ERROR_SAMPLE = 160;

export interface ParseStats {
  /** Lines seen, header included. */
  lines: number;
  sockets: number;
  malformed: number;
  /**
   * Whether the first non-blank line is the kernel's column header (`  sl  local_address
   * rem_address   st ...`, written by tcp4_seq_show/tcp6_seq_show even for an empty table).
   * False for an empty file or one that starts with anything else: not a kernel socket table.
   */
  header: boolean;
  /** The first malformed line (cut to 160 bytes) and why, for the log. */
  firstError?: string;
}

export class ProcNetTcpParser {
  private readonly record: SocketRecord = newSocketRecord();
  private readonly carry = Buffer.alloc(MAX_LINE);
  private carryLength = 0;
  private carryOverflow = false;
  private readonly stats: ParseStats = { lines: 0, sockets: 0, malformed: 0, header: false };
  private seenLine = false;
  // Cursor state of parseLine, kept on the instance so the hot path allocates nothing.
  private buf: Buffer = this.carry;
  private pos = 0;
  private end = 0;

  constructor(
    private readonly family: Family,
    private readonly sink: SocketSink,
    private readonly littleEndian: boolean = HOST_IS_LITTLE_ENDIAN,
  ) {
    this.record.family = family;
  }

  /** Feed the next chunk of the file. Lines may span chunks. */
  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl === -1) {
        this.appendCarry(chunk, start, chunk.length);
        return;
      }
      if (this.carryLength > 0 || this.carryOverflow) {
        this.appendCarry(chunk, start, nl);
        this.finishCarriedLine();
      } else {
        this.line(chunk, start, nl);
      }
      start = nl + 1;
    }
  }

  /** Signal end of file; a final line without newline is still parsed (a truncated read). */
  /**
   * Whether the table starts with the kernel's column header: undefined until its first
   * non-blank line has ended. Lets a reader stop at once on something that is not a socket table
   * (a device, a FUSE file) instead of reading it to its end, which may never come.
   */
  get startsWithHeader(): boolean | undefined {
    return this.seenLine ? this.stats.header : undefined;
  }

  /** Malformed lines so far. */
  get malformedLines(): number {
    return this.stats.malformed;
  }

  finish(): ParseStats {
    if (this.carryLength > 0 || this.carryOverflow) this.finishCarriedLine();
    return { ...this.stats };
  }

  private appendCarry(chunk: Buffer, from: number, to: number): void {
    const n = to - from;
    if (this.carryOverflow || this.carryLength + n > MAX_LINE) {
      // Keep the line's first MAX_LINE bytes, so the error sample does not depend on where
      // the chunks happened to split the line (found by fuzzing).
      if (!this.carryOverflow) {
        const room = MAX_LINE - this.carryLength;
        chunk.copy(this.carry, this.carryLength, from, from + room);
        this.carryLength += room;
      }
      this.carryOverflow = true;
      return;
    }
    chunk.copy(this.carry, this.carryLength, from, to);
    this.carryLength += n;
  }

  private finishCarriedLine(): void {
    if (this.carryOverflow) {
      this.stats.lines++;
      this.malformed(this.carry, 0, this.carryLength, `line longer than ${MAX_LINE} bytes`);
    } else {
      this.line(this.carry, 0, this.carryLength);
    }
    this.carryLength = 0;
    this.carryOverflow = false;
  }

  private line(buf: Buffer, start: number, end: number): void {
    this.stats.lines++;
    if (end > start && buf[end - 1] === 0x0d) end--;
    if (isBlank(buf, start, end)) return;
    const first = !this.seenLine;
    this.seenLine = true;
    if (end - start > MAX_LINE) {
      this.malformed(buf, start, end, `line longer than ${MAX_LINE} bytes`);
      return;
    }
    const why = this.parseLine(buf, start, end);
    if (why === null) {
      this.stats.sockets++;
      this.sink.add(this.record);
    } else if (first && isHeader(buf, start, end)) {
      this.stats.header = true;
    } else {
      this.malformed(buf, start, end, why);
    }
  }

  private malformed(buf: Buffer, start: number, end: number, why: string): void {
    this.stats.malformed++;
    if (this.stats.firstError === undefined) {
      const text = buf.toString('latin1', start, Math.min(end, start + MAX_ERROR_SAMPLE));
      this.stats.firstError = `${why}: ${JSON.stringify(text)}`;
    }
  }

  /** Returns null when the line is a socket (record filled), else the reason it is not. */
  private parseLine(buf: Buffer, start: number, end: number): string | null {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    const r = this.record;
    const addrWords = this.family === 'ipv4' ? 1 : 4;

    this.skipSpaces();
    if (this.decimal() < 0 || !this.expect(COLON)) return 'bad slot column';
    this.skipSpaces();
    if (!this.address(r.localAddress, addrWords) || !this.expect(COLON)) return 'bad local address';
    r.localPort = this.hex(4, 4);
    if (r.localPort < 0) return 'bad local port';
    this.skipSpaces();
    if (!this.address(r.remoteAddress, addrWords) || !this.expect(COLON)) return 'bad remote address';
    r.remotePort = this.hex(4, 4);
    if (r.remotePort < 0) return 'bad remote port';
    this.skipSpaces();
    // The kernel's state code in hex: 01 ESTABLISHED … 0A LISTEN, 0B CLOSING.
    r.state = this.hex(1, 2);
    if (!isStateCode(r.state)) return `bad state ${r.state}`;
    this.skipSpaces();
    r.txQueue = this.hex(1, 8);
    if (r.txQueue < 0 || !this.expect(COLON)) return 'bad tx_queue';
    r.rxQueue = this.hex(1, 8);
    if (r.rxQueue < 0) return 'bad rx_queue';
    this.skipSpaces();
    r.timer = this.hex(1, 2);
    if (r.timer < 0 || !this.expect(COLON)) return 'bad timer';
    if (this.hex(1, 16) < 0) return 'bad timer expiry';
    this.skipSpaces();
    if (this.hex(1, 8) < 0) return 'bad retransmit count';
    this.skipSpaces();
    r.uid = this.decimal();
    if (r.uid < 0) return 'bad uid';
    this.skipSpaces();
    // timeout is %8d and may be negative on old kernels; only its presence matters.
    if (this.buf[this.pos] === 0x2d) this.pos++;
    if (this.decimal() < 0) return 'bad timeout';
    this.skipSpaces();
    r.inode = this.decimal();
    if (r.inode < 0) return 'bad inode';
    if (this.pos < this.end && this.buf[this.pos] !== SPACE) return 'bad inode';
    // The LISTEN tx_queue is not the backlog in this format; say "unknown".
    if (r.state === LISTEN) r.txQueue = -1;
    return null;
  }

  private skipSpaces(): void {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    while (pos < end && buf[pos] === SPACE) pos++;
    this.pos = pos;
  }

  private expect(byte: number): boolean {
    if (this.pos < this.end && this.buf[this.pos] === byte) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** Unsigned decimal, or -1 when there is no digit or it exceeds 2^53. */
  private decimal(): number {
    const buf = this.buf;
    const end = this.end;
    const from = this.pos;
    let pos = from;
    let v = 0;
    while (pos < end) {
      const d = buf[pos]! - 0x30;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
      pos++;
    }
    this.pos = pos;
    return pos === from || v > Number.MAX_SAFE_INTEGER ? -1 : v;
  }

  /**
   * Hex with between min and max digits, or -1. A further hex digit after `max` makes the column
   * too wide (-1), unless `joined`: the words of an IPv6 address follow each other directly.
   */
  private hex(min: number, max: number, joined = false): number {
    const buf = this.buf;
    const from = this.pos;
    const limit = Math.min(this.end, from + max);
    let pos = from;
    let v = 0;
    while (pos < limit) {
      const d = HEX[buf[pos]!]!;
      if (d < 0) break;
      v = v * 16 + d;
      pos++;
    }
    this.pos = pos;
    const n = pos - from;
    if (n < min) return -1;
    // More digits than allowed: the column is wider than the format says.
    if (!joined && n === max && pos < this.end && HEX[buf[pos]!]! >= 0) return -1;
    return v;
  }

  /** `words` 32-bit words of 8 hex digits each, stored into `out` in network byte order. */
  private address(out: Uint8Array, words: number): boolean {
    for (let w = 0; w < words; w++) {
      const word = this.hex(8, 8, w < words - 1);
      if (word < 0) return false;
      const o = w * 4;
      if (this.littleEndian) {
        out[o] = word & 0xff;
        out[o + 1] = (word >>> 8) & 0xff;
        out[o + 2] = (word >>> 16) & 0xff;
        out[o + 3] = word >>> 24;
      } else {
        out[o] = word >>> 24;
        out[o + 1] = (word >>> 16) & 0xff;
        out[o + 2] = (word >>> 8) & 0xff;
        out[o + 3] = word & 0xff;
      }
    }
    if (words === 1) out.fill(0, 4);
    return true;
  }
}

/** Hex digit value by byte, -1 for anything else. */
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[0x41 + c] = 10 + c;
  HEX[0x61 + c] = 10 + c;
}

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== SPACE && buf[i] !== 0x09) return false;
  return true;
}

function isHeader(buf: Buffer, start: number, end: number): boolean {
  const at = buf.indexOf('local_address', start, 'latin1');
  return at !== -1 && at < end;
}

/** Parse a whole file held in memory (tests and small tables); the collector streams instead. */
export function parseProcNetTcp(family: Family, content: Buffer | string, sink: SocketSink): ParseStats {
  const parser = new ProcNetTcpParser(family, sink);
  parser.push(typeof content === 'string' ? Buffer.from(content, 'latin1') : content);
  return parser.finish();
}
