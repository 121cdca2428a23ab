/**
 * /proc/self/auxv is the ELF auxiliary vector: (type, value) pairs of native words ending with
 * AT_NULL. AT_PAGESZ (6) is the page size, the unit of sockstat's `mem`. 64-bit little-endian
 * layout is assumed; returns null when the vector does not hold a plausible page size.
 */
const AT_NULL = 0n;
const AT_PAGESZ = 6n;

export function parseAuxvPageSize(buf: Buffer): number | null {
  for (let off = 0; off + 16 <= buf.length; off += 16) {
    const type = buf.readBigUInt64LE(off);
    if (type === AT_NULL) return null;
    if (type === AT_PAGESZ) {
      const size = Number(buf.readBigUInt64LE(off + 8));
      return size >= 1024 && (size & (size - 1)) === 0 ? size : null;
    }
  }
  return null;
}
