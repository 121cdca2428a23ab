import type { PortRange } from './ephemeralPorts.js';

const PORTS = 65536;
/** Which of a port's two bits (SocketRoles.bits): a listener this cycle, remembered as a service port. */
const LISTENING = 0;
const REMEMBERED = 1;

/** The ephemeral port range, low and high inclusive. */
export interface EphemeralRange {
  low: number;
  high: number;
}

/**
 * The kernel's default net.ipv4.ip_local_port_range (inet_init_net(), net/ipv4/af_inet.c), taken
 * when the namespace's own cannot be read.
 */
export const DEFAULT_EPHEMERAL_RANGE: EphemeralRange = { low: 32768, high: 60999 };

/**
 * IANA's dynamic ports (RFC 6335: 49152-65535): the ephemeral range of Windows, macOS and the
 * BSDs. A peer's source port there looks ephemeral even when it is outside our own range.
 */
export const IANA_DYNAMIC_LOW = 49152;

/**
 * Decides, socket by socket, whether a connection is the server end (counted under its local
 * port) or the client end (counted under its remote port), in O(1) and without allocation.
 * Rules, first match wins (docs/metrics.md "Socket roles"):
 *
 * 1. a listener on the local port this cycle: server. Every source walks the listeners of both
 *    families before the connections, so a listener is known before its accepted sockets;
 * 2. local port outside our ephemeral range, remote port inside it (or in 49152-65535): server.
 *    connect() picks its local port from the range, so a local port outside it was bound on
 *    purpose, and the peer's looks picked for it;
 * 3. local port inside the range, remote port outside it and below 49152: client;
 * 4. otherwise (both look ephemeral, or neither): a local port remembered as a service port:
 *    server; a remote port with a listener here, or remembered: client (a connection of ours to
 *    a service of ours). A port is remembered for `memoryCycles` cycles after the last cycle in
 *    which it had a listener, or a socket rule 2 or this rule made a server socket, so a
 *    server's sockets stay its own for as long as they outlive its listener;
 * 5. otherwise the lower port is the service's: server when local < remote, else client. This
 *    guess is never remembered, so it cannot entrench itself.
 *
 * Rules 2-5 apply only to sockets whose local port has no listener: the accepted connections a
 * server leaves when it stops listening, and every outgoing connection.
 */
export class SocketRoles {
  private range: EphemeralRange = DEFAULT_EPHEMERAL_RANGE;
  /**
   * Ports with a listener this cycle, and ports remembered as service ports (rule 4), one bit per
   * port: every socket reads its local port's bits, and a large table's client sockets have local
   * ports spread over the whole range, so the 16 KiB of both stay in the CPU's cache between the
   * kernel's datagrams where a byte or a word per port (64 or 256 KiB) did not (measured at 1M
   * sockets: docs/performance.md, "per-port state in bytes and bits"). The two kinds interleave
   * word by word (LISTENING, REMEMBERED: a port's two bits 4 bytes apart), so a socket whose
   * role reads both of its port's bits touches one cache line, not one in each of two arrays.
   */
  private readonly bits = new Uint32Array((PORTS / 32) * 2);
  private readonly listeningPorts = new Uint16Array(PORTS);
  private listeningCount = 0;
  /** Per port, the last cycle (1-based) in which it had a listener or server sockets; 0: never. */
  private readonly serviceSeen = new Uint32Array(PORTS);
  /** Ports with serviceSeen set, each once, so reset() visits no other. */
  private readonly seenPorts = new Uint16Array(PORTS);
  private seenCount = 0;
  private cycle = 0;

  /** @param memoryCycles cycles a service port is remembered after its last server socket; 0: no memory. */
  constructor(private readonly memoryCycles: number) {}

  /** Starts a cycle; a null range (sysctl unreadable) is taken as the kernel's default. */
  reset(range: PortRange | EphemeralRange | null = null): void {
    for (let i = 0; i < this.listeningCount; i++) clearBit(this.bits, this.listeningPorts[i]!, LISTENING);
    this.listeningCount = 0;
    this.range = range === null ? DEFAULT_EPHEMERAL_RANGE : { low: range.low, high: range.high };
    this.cycle++;
    // The bits of the ports still remembered this cycle; a port forgotten leaves the list.
    for (let w = REMEMBERED; w < this.bits.length; w += 2) this.bits[w] = 0;
    let kept = 0;
    for (let i = 0; i < this.seenCount; i++) {
      const port = this.seenPorts[i]!;
      if (this.cycle - this.serviceSeen[port]! <= this.memoryCycles) {
        setBit(this.bits, port, REMEMBERED);
        this.seenPorts[kept++] = port;
      } else {
        this.serviceSeen[port] = 0;
      }
    }
    this.seenCount = kept;
  }

  /** A listening socket on `port` (this cycle). */
  listen(port: number): void {
    if (hasBit(this.bits, port, LISTENING)) return;
    setBit(this.bits, port, LISTENING);
    this.listeningPorts[this.listeningCount++] = port;
    this.mark(port);
  }

  isListening(port: number): boolean {
    return hasBit(this.bits, port, LISTENING);
  }

  /** Whether `port` had a listener at the last dump, or is remembered as a service's (memoryCycles). */
  isServicePort(port: number): boolean {
    return hasBit(this.bits, port, LISTENING) || hasBit(this.bits, port, REMEMBERED);
  }

  inEphemeralRange(port: number): boolean {
    return port >= this.range.low && port <= this.range.high;
  }

  /** Whether a non-listening socket is the server end of its connection (rules above). */
  isServer(localPort: number, remotePort: number): boolean {
    if (hasBit(this.bits, localPort, LISTENING)) return true;
    const localEphemeral = localPort >= this.range.low && localPort <= this.range.high;
    const remoteEphemeral = remotePort >= IANA_DYNAMIC_LOW || (remotePort >= this.range.low && remotePort <= this.range.high);
    if (localEphemeral !== remoteEphemeral) {
      if (remoteEphemeral) this.mark(localPort);
      return remoteEphemeral;
    }
    if (hasBit(this.bits, localPort, REMEMBERED)) {
      this.mark(localPort);
      return true;
    }
    if (hasBit(this.bits, remotePort, LISTENING) || hasBit(this.bits, remotePort, REMEMBERED)) return false;
    return localPort < remotePort;
  }

  /** Remembers `port` as a service port from this cycle on (for memoryCycles cycles). */
  private mark(port: number): void {
    if (this.memoryCycles === 0) return;
    const seen = this.serviceSeen[port]!;
    if (seen === this.cycle) return;
    if (seen === 0) this.seenPorts[this.seenCount++] = port;
    this.serviceSeen[port] = this.cycle;
    setBit(this.bits, port, REMEMBERED);
  }
}

/** The word of `port`'s bit of `kind` (LISTENING or REMEMBERED) in the interleaved bits. */
function wordOf(port: number, kind: number): number {
  return ((port >>> 5) << 1) | kind;
}

function hasBit(bits: Uint32Array, port: number, kind: number): boolean {
  return (bits[wordOf(port, kind)]! & (1 << (port & 31))) !== 0;
}

function setBit(bits: Uint32Array, port: number, kind: number): void {
  bits[wordOf(port, kind)]! |= 1 << (port & 31);
}

function clearBit(bits: Uint32Array, port: number, kind: number): void {
  bits[wordOf(port, kind)]! &= ~(1 << (port & 31));
}
