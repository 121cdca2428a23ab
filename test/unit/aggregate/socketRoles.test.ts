import { describe, expect, it } from 'vitest';
import { SocketRoles } from '../../../src/aggregate/socketRoles.js';

/** [name, local port, remote port, want server] with no listener and nothing remembered. */
type Case = [string, number, number, boolean];

describe('SocketRoles: sockets whose local port has no listener', () => {
  const table: Case[] = [
    ['local port outside the range, peer port inside it: a server left by its listener', 20070, 45000, true],
    ['peer port in 49152-65535 (Windows, macOS, BSD peers) counts as ephemeral', 20070, 62000, true],
    ['local port inside the range, peer port outside it: an outgoing connection', 45000, 5432, false],
    ['both inside the range, no memory: the lower port is the service', 40000, 50000, true],
    ['both inside the range, the other way round', 50000, 40000, false],
    ['both outside the range, no memory: the lower port is the service', 8080, 20000, true],
    ['both outside, a client bound to a low source port (a documented limit)', 800, 2049, true],
    ['same port on both ends', 9000, 9000, false],
  ];
  for (const [name, local, remote, want] of table) {
    it(name, () => {
      const roles = new SocketRoles(4);
      roles.reset({ low: 32768, high: 60999 });
      expect(roles.isServer(local, remote)).toBe(want);
    });
  }

  it('a listener on the local port decides before any range rule', () => {
    const roles = new SocketRoles(4);
    roles.reset({ low: 32768, high: 60999 });
    roles.listen(45000);
    expect(roles.isServer(45000, 5432)).toBe(true);
  });

  it('a null range is the kernel default 32768-60999', () => {
    const roles = new SocketRoles(0);
    roles.reset(null);
    expect(roles.isServer(20070, 32768)).toBe(true);
    expect(roles.isServer(60999, 20070)).toBe(false);
    expect(roles.isServer(61000, 20070)).toBe(false); // neither looks ephemeral: 20070 is lower
  });

  it('a range widened over service ports: both look ephemeral, memory decides, then the lower port', () => {
    const roles = new SocketRoles(3);
    const wide = { low: 1024, high: 65535 };
    roles.reset(wide);
    roles.listen(8080);
    // Our own connection to it: the remote port has a listener here.
    expect(roles.isServer(2000, 8080)).toBe(false);
    // Cycle 2: the listener is gone. Its accepted sockets, even from a peer port below 8080.
    roles.reset(wide);
    expect(roles.isServer(8080, 2000)).toBe(true);
    // Our own clients of it: their remote port is the remembered service.
    expect(roles.isServer(2000, 8080)).toBe(false);
    // Remembered for 3 cycles after the last one with server sockets, then the lower-port rule.
    for (let i = 0; i < 3; i++) roles.reset(wide);
    expect(roles.isServer(8080, 2000)).toBe(true); // 3 cycles since: still remembered, and refreshed
    for (let i = 0; i < 4; i++) roles.reset(wide);
    expect(roles.isServer(8080, 2000)).toBe(false);
  });

  it('forgets a port once its memory runs out and remembers it again when it serves again', () => {
    const roles = new SocketRoles(2);
    const wide = { low: 1024, high: 65535 };
    roles.reset(wide);
    roles.listen(8080);
    roles.listen(9090);
    for (let i = 0; i < 3; i++) roles.reset(wide);
    expect(roles.isServer(8080, 2000)).toBe(false); // forgotten: the lower port decides
    expect(roles.isServer(9090, 2000)).toBe(false);
    roles.listen(9090);
    roles.reset(wide);
    expect(roles.isServer(9090, 2000)).toBe(true); // remembered again from its new listener
    expect(roles.isServer(8080, 2000)).toBe(false);
  });

  it('never remembers a lower-port guess', () => {
    const roles = new SocketRoles(10);
    const wide = { low: 1024, high: 65535 };
    roles.reset(wide);
    expect(roles.isServer(2000, 8080)).toBe(true); // a guess: no listener, no memory
    roles.reset(wide);
    expect(roles.isServer(2000, 9090)).toBe(true);
    expect(roles.isServer(9090, 2000)).toBe(false); // 2000 was never remembered
  });

  it('remembers a port rule 2 made a service port, for the sockets that tie on it', () => {
    const roles = new SocketRoles(10);
    roles.reset({ low: 32768, high: 60999 });
    expect(roles.isServer(20070, 45000)).toBe(true);
    // A peer with a low source port: neither looks ephemeral, and 1500 is lower.
    expect(roles.isServer(20070, 1500)).toBe(true);
    expect(roles.isServer(1500, 20070)).toBe(false);
  });

  it('without memory (0 cycles) nothing is remembered', () => {
    const roles = new SocketRoles(0);
    roles.reset({ low: 1024, high: 65535 });
    roles.listen(8080);
    roles.reset({ low: 1024, high: 65535 });
    expect(roles.isServer(8080, 9000)).toBe(true); // lower port
    expect(roles.isServer(8080, 2000)).toBe(false);
  });

  it('clears the listeners of the last cycle on reset', () => {
    const roles = new SocketRoles(0);
    roles.reset(null);
    roles.listen(45000);
    roles.reset(null);
    expect(roles.isListening(45000)).toBe(false);
    expect(roles.isServer(45000, 5432)).toBe(false);
  });
});
