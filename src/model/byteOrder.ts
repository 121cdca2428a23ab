/**
 * Whether this CPU stores the low byte of a word first. Words read through a typed array are in
 * this order; the kernel's network-order fields (ports, addresses) are big-endian whatever the
 * host, and /proc/net/tcp prints address words in the host's order.
 */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
