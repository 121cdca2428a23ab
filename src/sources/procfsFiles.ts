import { open } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Bounded reads under the procfs root. Every path the exporter reads goes through here, so a
 * fixture tree given with --path.procfs replaces the whole kernel.
 */

/** Small files (snmp, sysctls, sockstat) are read whole, up to this size. */
export const SMALL_FILE_LIMIT = 1 << 20;
/** Socket tables are streamed in chunks of this size. */
export const STREAM_CHUNK = 256 * 1024;

export function procPath(procfs: string, relative: string): string {
  return join(procfs, relative);
}

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT';
}

export class FileTooLargeError extends Error {
  constructor(readonly path: string) {
    super(`${path}: larger than ${SMALL_FILE_LIMIT} bytes`);
  }
}

/** One bounded read of a small file. ENOENT is rethrown as-is so callers can detect it. */
export async function readSmallFile(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(SMALL_FILE_LIMIT + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, length, buf.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > SMALL_FILE_LIMIT) throw new FileTooLargeError(path);
    }
    return buf.toString('latin1', 0, length);
  } finally {
    await handle.close();
  }
}

/**
 * Stream a file through `onChunk` with one reused buffer: memory stays at STREAM_CHUNK whatever
 * the size of the socket table. The chunk passed is only valid during the call.
 */
export async function streamFile(path: string, onChunk: (chunk: Buffer) => void): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(STREAM_CHUNK);
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return total;
      total += bytesRead;
      onChunk(buf.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}
