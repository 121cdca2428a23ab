import { HOST_IS_LITTLE_ENDIAN } from '../model/byteOrder.js';
import { LISTEN, TIME_WAIT } from '../model/tcpState.js';
import type { SocketRecord, SocketSink } from '../model/socketRecord.js';
import { DestinationSlots } from './destinationSlots.js';
import { destinationOfKey, DestinationTable, isLoopbackKey, KEY_WORDS, keyOfText, type Destination } from './destinationTable.js';
import { DEFAULT_SERIES_HYSTERESIS, type SeriesHysteresis } from './portSeries.js';

/** The ephemeral range and the ports carved out of it, as the kernel's sysctls give them. */
export interface PortRange {
  low: number;
  high: number;
  /** net.ipv4.ip_local_reserved_ports: never handed out by connect() or bind(0). */
  reserved: readonly number[];
}

/**
 * The sysctls that decide whether connect() may take over a port a TIME_WAIT socket holds
 * (net/ipv4/tcp_ipv4.c tcp_twsk_unique()). null: unreadable, taken as 0 (no reuse: the
 * conservative reading, which counts TIME_WAIT as held).
 */
export interface TimeWaitReuseSysctls {
  /** net.ipv4.tcp_tw_reuse: 0 never, 1 any destination, 2 loopback only. */
  twReuse: number | null;
  /** net.ipv4.tcp_timestamps: 0 off. Reuse needs the TIME_WAIT socket to have seen a timestamp. */
  timestamps: number | null;
}

export const NO_TIME_WAIT_REUSE: TimeWaitReuseSysctls = { twReuse: null, timestamps: null };

/** Which destinations' TIME_WAIT ports connect() may reuse under the sysctls. */
export type TimeWaitReuse = 'any' | 'loopback' | 'none';

export function timeWaitReuse(s: TimeWaitReuseSysctls): TimeWaitReuse {
  if (s.timestamps === null || s.timestamps === 0) return 'none';
  return s.twReuse === 1 ? 'any' : s.twReuse === 2 ? 'loopback' : 'none';
}

export interface DestinationPorts extends Destination {
  /** Local ports from the range held by TIME_WAIT sockets to this destination. */
  timeWaitPorts: number;
  /** Local ports from the range held by sockets in any other state (FIN_WAIT2 orphans included). */
  otherPorts: number;
  /** Whether tcp_tw_reuse lets connect() to this destination take over its TIME_WAIT ports. */
  timeWaitReusable: boolean;
  /** Ports connect() to this destination cannot pick: otherPorts, plus timeWaitPorts unless reusable. */
  nonReusablePorts: number;
  /** nonReusablePorts / usablePorts: how close connect() to it is to EADDRNOTAVAIL. */
  usageRatio: number;
}

/** A reported destination: its rank slot (the `rank` label, stable while it is reported) and its ports now. */
export interface DestinationSeries extends DestinationPorts {
  rank: number;
}

/** Distinct usable ports of the range by what holds them (service ports excluded: listeners' and server sockets'). */
export interface HeldPorts {
  /** Held by exactly one non-TIME_WAIT socket: what bind() before connect() leaves. */
  exclusive: number;
  /** Held by two or more non-TIME_WAIT sockets (connect() shares a port across destinations). */
  shared: number;
  /** Held by TIME_WAIT sockets only. */
  timeWait: number;
}

export interface EphemeralPortUsage {
  range: { low: number; high: number };
  /**
   * Ports connect() can hand out: the range, less reserved ports and service ports in it (bound
   * by listeners, or held by the server sockets of a listener since closed): the kernel skips a
   * port with an explicit bind() when it picks one for connect().
   */
  usablePorts: number;
  /** Distinct local ports in the range that some socket holds, service ports included. */
  portsInUse: number;
  held: HeldPorts;
  /** usablePorts less every held port: what bind(0) can still pick. */
  freePorts: number;
  /** Distinct destinations seen (a lower bound when countError > 0). */
  destinations: number;
  /** The highest usageRatio of any destination (0 with none). */
  worstDestinationRatio: number;
  /** The tcp_tw_reuse rule applied to the destinations. */
  timeWaitReuse: TimeWaitReuse;
  /** By nonReusablePorts, highest first, at most the configured K: this cycle's ranking. */
  top: readonly DestinationPorts[];
  /**
   * What the destination series report: up to K destinations in rank slots that stay put while
   * a destination is reported (DestinationSlots), by slot; one that left the top K keeps its slot,
   * with its current (maybe zero) ports, until the hysteresis releases it.
   */
  series: readonly DestinationSeries[];
  /** How many ports any per-destination count may be short by (0: every count is exact). */
  countError: number;
}

const PORTS = 65536;
/** Destinations counted exactly per cycle; beyond, heavy hitters are kept (see DestinationTable). */
export const TRACKED_DESTINATIONS = 8192;

/**
 * Per-port byte: the low two bits count the non-TIME_WAIT sockets holding the port (service ports'
 * sockets excluded), saturating at 2, since summarize() only tells one holder (exclusive) from
 * several (shared); the high bits are flags. A byte, not a word: the local ports of a large table's
 * client sockets are spread over the whole range, so each socket reads and writes a port no
 * neighbour touched, and the kernel's walk between two datagrams evicts what it can. 64 KiB stays
 * in the CPU's L2 cache where 256 KiB of words did not (measured at 1M sockets: see
 * docs/performance.md, "per-port state in bytes and bits").
 */
const HOLDERS = 0x3;
const TOUCHED = 1 << 4;
/** A service port: a listener, or server sockets (SocketRoles), hold it. */
const SERVICE = 1 << 5;
const HAS_TIME_WAIT = 1 << 6;

/**
 * Counts the local ports of the ephemeral range that sockets hold, per destination and per port,
 * streaming, in fixed memory and O(1) per socket.
 *
 * Per destination: connections to one destination (remote address and port) each need a local
 * port of their own (the 4-tuple must be unique), so connect() to the busiest destination runs
 * out first. A TIME_WAIT socket's port is taken over by connect() when tcp_tw_reuse applies
 * (1: any destination; 2: loopback destinations; both need tcp_timestamps, see
 * tcp_twsk_unique()), so those ports do not count against the destination.
 *
 * Per port: connect() shares a port between destinations, but a socket that called bind() before
 * connect() holds its port against every destination: inet_csk_get_port() gives it a bind bucket
 * of its own (fastreuse >= 0), and connect()'s __inet_hash_connect() skips any port whose bucket
 * came from bind(). A range exhausted that way leaves every per-destination count low while every
 * connect() fails, so the host-wide count of ports held by exactly one non-TIME_WAIT socket
 * ("exclusive") is what shows it. It cannot tell a bind()-then-connect() socket from a connect()
 * whose port no other destination uses yet (both are one holder), so it is an upper bound of
 * bind()-held ports; and a peer that sends no timestamps leaves TIME_WAIT sockets connect()
 * cannot reuse whatever the sysctls say (a TIME_WAIT socket's timestamp is not visible here).
 * A socket bound but not yet connected is in no table the sources read, so its port looks free.
 *
 * Memory: per port a byte of holder count and flags and a place in the list of ports in use
 * (~190 KB; only the pages of ports in use become resident, and only those ports are cleared
 * between cycles), and the destination table (2 KiB to start, 0.5 MB at most).
 */
export class EphemeralPortTracker implements SocketSink {
  private range: PortRange | null = null;
  private reuse: TimeWaitReuse = 'none';
  private readonly table: DestinationTable;
  /** Holder count and flags per port (HOLDERS, TOUCHED, SERVICE, HAS_TIME_WAIT). */
  private readonly ports = new Uint8Array(PORTS);
  /** Ports with a flag set this cycle, so reset() and summarize() touch nothing else. */
  private readonly touched = new Uint16Array(PORTS);
  private touchedCount = 0;
  private readonly key = new Uint32Array(KEY_WORDS);
  /** nonReusablePorts per table slot, filled by summarize(). */
  private readonly nonReusable: Uint32Array;
  private readonly slots: DestinationSlots;

  /** Call reset(), add() for every socket, then summarize() once per cycle (the rank slots count cycles by it). */
  constructor(
    private readonly topK: number,
    capacity = TRACKED_DESTINATIONS,
    hysteresis: SeriesHysteresis = DEFAULT_SERIES_HYSTERESIS,
  ) {
    this.table = new DestinationTable(capacity);
    this.nonReusable = new Uint32Array(this.table.maxSlots);
    this.slots = new DestinationSlots(topK, hysteresis);
  }

  /** Starts a cycle; a null range (sysctl unreadable) makes the cycle's usage null. */
  reset(range: PortRange | null, sysctls: TimeWaitReuseSysctls = NO_TIME_WAIT_REUSE): void {
    this.range = range;
    this.reuse = timeWaitReuse(sysctls);
    this.table.clear();
    for (let i = 0; i < this.touchedCount; i++) this.ports[this.touched[i]!] = 0;
    this.touchedCount = 0;
  }

  /**
   * Counts one socket. `server`: whether the socket aggregator counted it as the server end of its
   * connection (SocketRoles); without it, a socket is a server socket when a listener on its local
   * port came first. A server socket's local port is the service's, not one connect() took: like
   * a listener's, it is no ephemeral port held (its bind bucket, inherited from the listener,
   * keeps connect() off the port as long as any of them lives: inet_csk_get_port(),
   * __inet_inherit_port(), __inet_hash_connect()).
   */
  add(s: Readonly<SocketRecord>, server?: boolean): void {
    const range = this.range;
    if (range === null) return;
    const port = s.localPort;
    if (port < range.low || port > range.high) return;
    const word = this.ports[port]!;
    if (word === 0) this.touched[this.touchedCount++] = port;
    if (s.state === LISTEN || server === true) {
      this.ports[port] = word | TOUCHED | SERVICE;
      return;
    }
    if ((word & SERVICE) !== 0) return;
    const timeWait = s.state === TIME_WAIT;
    this.ports[port] = timeWait ? word | TOUCHED | HAS_TIME_WAIT : (word & HOLDERS) === 2 ? word | TOUCHED : (word | TOUCHED) + 1;
    const k = this.key;
    const w = s.remoteAddressWords;
    // The key's address words are big-endian numbers; the record's bytes are network order, so a
    // word read in the host's order is the number on a big-endian host and byte-swapped on a
    // little-endian one. An IPv4 address is the first word only.
    k[0] = bigEndian(w[0]!);
    if (s.family === 'ipv6') {
      k[1] = bigEndian(w[1]!);
      k[2] = bigEndian(w[2]!);
      k[3] = bigEndian(w[3]!);
      k[4] = s.remotePort | 0x10000;
    } else {
      k[1] = 0;
      k[2] = 0;
      k[3] = 0;
      k[4] = s.remotePort;
    }
    this.table.count(k, timeWait);
  }

  summarize(): EphemeralPortUsage | null {
    const range = this.range;
    if (range === null) return null;
    const reserved = new Set(range.reserved);
    let servicePorts = 0;
    let reservedServices = 0;
    const held: HeldPorts = { exclusive: 0, shared: 0, timeWait: 0 };
    for (let i = 0; i < this.touchedCount; i++) {
      const p = this.touched[i]!;
      const f = this.ports[p]!;
      if ((f & SERVICE) !== 0) {
        servicePorts++;
        if (reserved.has(p)) reservedServices++;
        continue;
      }
      // A reserved port someone bound explicitly is not one connect() or bind(0) could have had.
      if (reserved.has(p)) continue;
      const h = f & HOLDERS;
      if (h === 1) held.exclusive++;
      else if (h > 1) held.shared++;
      else if ((f & HAS_TIME_WAIT) !== 0) held.timeWait++;
    }
    let reservedInRange = 0;
    for (const p of reserved) if (p >= range.low && p <= range.high) reservedInRange++;
    const usablePorts = Math.max(0, range.high - range.low + 1 - (reservedInRange - reservedServices) - servicePorts);
    const worst = this.fillNonReusable();
    const top = this.topSlots(this.topK);
    const ratio = (n: number): number => (usablePorts > 0 ? n / usablePorts : n > 0 ? 1 : 0);
    return {
      range: { low: range.low, high: range.high },
      usablePorts,
      portsInUse: this.touchedCount,
      held,
      freePorts: Math.max(0, usablePorts - held.exclusive - held.shared - held.timeWait),
      destinations: this.table.used,
      worstDestinationRatio: ratio(worst),
      timeWaitReuse: this.reuse,
      top: top.map((slot) => this.destinationPorts(slot, ratio)),
      series: this.slots.assign(top.map((slot) => ({ key: this.table.keyText(slot), value: this.nonReusable[slot]! })), (key) => {
        const slot = this.table.slotOfText(key);
        return slot >= 0 ? this.nonReusable[slot]! : null;
      }, usablePorts).flatMap((key, i) => {
        if (key === null) return [];
        const slot = this.table.slotOfText(key);
        return [{ rank: i + 1, ...(slot >= 0 ? this.destinationPorts(slot, ratio) : this.goneDestination(key)) }];
      }),
      countError: this.table.decrements,
    };
  }

  private destinationPorts(slot: number, ratio: (n: number) => number): DestinationPorts {
    const timeWaitPorts = this.table.timeWaitAt(slot);
    const nonReusablePorts = this.nonReusable[slot]!;
    return {
      ...this.table.destinationAt(slot),
      timeWaitPorts,
      otherPorts: this.table.totalAt(slot) - timeWaitPorts,
      timeWaitReusable: this.reusable(slot),
      nonReusablePorts,
      usageRatio: ratio(nonReusablePorts),
    };
  }

  /** A reported destination that holds no port this cycle. */
  private goneDestination(key: string): DestinationPorts {
    const k = keyOfText(key);
    const reusable = this.reuse === 'any' || (this.reuse === 'loopback' && isLoopbackKey(k, 0));
    return { ...destinationOfKey(k, 0), timeWaitPorts: 0, otherPorts: 0, timeWaitReusable: reusable, nonReusablePorts: 0, usageRatio: 0 };
  }

  private reusable(slot: number): boolean {
    return this.reuse === 'any' || (this.reuse === 'loopback' && this.table.isLoopback(slot));
  }

  /** Fills nonReusable for every used slot; returns the highest. */
  private fillNonReusable(): number {
    let max = 0;
    for (let slot = 0; slot < this.table.slots; slot++) {
      const total = this.table.totalAt(slot);
      if (total === 0) continue;
      const n = this.reusable(slot) ? total - this.table.timeWaitAt(slot) : total;
      this.nonReusable[slot] = n;
      if (n > max) max = n;
    }
    return max;
  }

  /** Slots of the `k` highest by nonReusablePorts; ties go to more ports in all, then to the lower family, address and port, so the order is stable. */
  private topSlots(k: number): number[] {
    const top: number[] = [];
    if (k === 0) return top;
    for (let slot = 0; slot < this.table.slots; slot++) {
      if (this.table.totalAt(slot) === 0 || (top.length === k && !this.ranksAbove(slot, top[top.length - 1]!))) continue;
      let i = top.length === k ? top.length - 1 : top.length;
      while (i > 0 && this.ranksAbove(slot, top[i - 1]!)) {
        top[i] = top[i - 1]!;
        i--;
      }
      top[i] = slot;
    }
    return top;
  }

  private ranksAbove(a: number, b: number): boolean {
    const na = this.nonReusable[a]!;
    const nb = this.nonReusable[b]!;
    if (na !== nb) return na > nb;
    const ta = this.table.totalAt(a);
    const tb = this.table.totalAt(b);
    if (ta !== tb) return ta > tb;
    return this.table.compareKeys(a, b) < 0;
  }
}

/** A word read in the host's byte order as the big-endian number of its bytes. */
function bigEndian(w: number): number {
  return HOST_IS_LITTLE_ENDIAN ? ((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24) : w;
}
