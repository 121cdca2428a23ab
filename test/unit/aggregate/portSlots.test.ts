import { describe, expect, it } from 'vitest';
import { PortSlots } from '../../../src/aggregate/portSlots.js';

/** A PortSlots with the per-slot array a caller keeps (the port of each slot), grown when asked. */
function slotsWithMirror(initial: number) {
  const slots = new PortSlots(initial);
  let mirror = new Int32Array(initial).fill(-1);
  const grows: number[] = [];
  const grow = (n: number): void => {
    grows.push(n);
    const m = new Int32Array(n).fill(-1);
    m.set(mirror);
    mirror = m;
  };
  const slotFor = (port: number): number => {
    const slot = slots.slotFor(port, grow);
    if (mirror[slot] === -1) mirror[slot] = port;
    expect(mirror[slot]).toBe(port);
    return slot;
  };
  return { slots, slotFor, grows };
}

describe('PortSlots', () => {
  it('gives every port of the port space a slot of its own, in the order first seen, up to port and slot 65535', () => {
    const { slots, slotFor, grows } = slotsWithMirror(64);
    // Every port once, in a scattered order (a multiplier coprime with 65536), 65535 last.
    const order = Array.from({ length: 65535 }, (_, i) => (i * 40507 + 7) % 65535).concat(65535);
    expect(new Set(order).size).toBe(65536);
    order.forEach((port, i) => expect(slotFor(port)).toBe(i));
    expect(grows).toEqual([128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]);
    expect(slots.size).toBe(65536);
    expect(slots.find(65535)).toBe(65535);
    order.forEach((port, i) => expect(slots.find(port)).toBe(i));
    // A second time: the same slots, none added.
    order.forEach((port, i) => expect(slotFor(port)).toBe(i));
    expect(Array.from(slots.ports())).toEqual(order);
  });

  it('keeps ports that hash alike apart, and finds no port not in use', () => {
    const { slots, slotFor } = slotsWithMirror(16);
    // Ports 2^k apart share the low bits; with few slots the table is small and they collide.
    const ports = [0, 4096, 8192, 12288, 16384, 20480, 24576, 28672, 32768, 65535, 1, 4097];
    ports.forEach((p, i) => expect(slotFor(p)).toBe(i));
    ports.forEach((p, i) => expect(slots.find(p)).toBe(i));
    for (const absent of [2, 4095, 36864, 65534]) expect(slots.find(absent)).toBe(-1);
  });

  it('forgets every port at reset, and hands slots out from 0 again', () => {
    const { slots, slotFor } = slotsWithMirror(4);
    for (const p of [80, 443, 8080, 5432, 6379]) slotFor(p);
    slots.reset();
    expect(slots.size).toBe(0);
    expect(slots.ports().length).toBe(0);
    for (const p of [80, 443, 8080, 5432, 6379]) expect(slots.find(p)).toBe(-1);
    expect(slots.slotFor(6379, () => undefined)).toBe(0);
    expect(slots.find(6379)).toBe(0);
    expect(slots.find(80)).toBe(-1);
  });
});
