import { describe, expect, it } from 'vitest';
import { PortTallies } from '../../../src/aggregate/portTallies.js';
import { STATE_CODE, zeroStates } from '../../../src/model/tcpState.js';

describe('PortTallies', () => {
  it('counts per port past its first slots, in the order ports were first seen, and forgets them all at reset', () => {
    const t = new PortTallies();
    // 200 ports (the slots start at 64 and double), port p with p % 7 + 1 sockets.
    const ports = Array.from({ length: 200 }, (_, i) => 60000 - i * 300);
    for (const p of ports) for (let k = 0; k <= p % 7; k++) t.keepalive(t.count(p, STATE_CODE.established), k % 3);
    t.count(ports[0]!, STATE_CODE.time_wait);
    expect(Array.from(t.ports())).toEqual(ports);
    expect(t.total(ports[0]!)).toBe((ports[0]! % 7) + 2);
    expect(ports.slice(1).every((p) => t.total(p) === (p % 7) + 1)).toBe(true);
    expect(t.total(1234)).toBe(0);
    const states = zeroStates();
    t.addStates([ports[0]!, ports[199]!, 1234], states);
    expect(states[STATE_CODE.established]).toBe((ports[0]! % 7) + 1 + (ports[199]! % 7) + 1);
    expect(states[STATE_CODE.time_wait]).toBe(1);
    expect(states.reduce((a, b) => a + b, 0)).toBe((ports[0]! % 7) + 2 + (ports[199]! % 7) + 1);
    const kinds = [0, 1, 2].map((k) => t.keepaliveOf(ports, k));
    expect(kinds.reduce((a, b) => a + b, 0)).toBe(ports.reduce((a, p) => a + (p % 7) + 1, 0));

    t.reset();
    expect(t.ports().length).toBe(0);
    expect(t.total(ports[0]!)).toBe(0);
    t.count(ports[5]!, STATE_CODE.close_wait);
    const after = zeroStates();
    t.addStates(ports, after);
    expect(after[STATE_CODE.close_wait]).toBe(1);
    expect(after.reduce((a, b) => a + b, 0)).toBe(1);
    expect(t.keepaliveOf(ports, 0) + t.keepaliveOf(ports, 1) + t.keepaliveOf(ports, 2)).toBe(0);
  });
});
