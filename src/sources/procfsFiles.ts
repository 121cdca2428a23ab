import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
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

/** Chunk size for small files: sysctls are a few bytes, snmp/netstat a few KiB. */
const SMALL_FILE_CHUNK = 16 * 1024;

/**
 * One bounded read of a small file, in chunks as large as the file turns out to be (procfs reports
 * size 0, so it cannot be asked first). ENOENT is rethrown as-is so callers can detect it.
 */
export async function readSmallFile(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(SMALL_FILE_CHUNK);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
      if (length > SMALL_FILE_LIMIT) throw new FileTooLargeError(path);
    }
    return Buffer.concat(chunks, length).toString('latin1');
  } finally {
    await handle.close();
  }
}

/**
 * Stream a file through `onChunk` with one reused buffer: memory stays at STREAM_CHUNK whatever
 * the size of the socket table. The chunk passed is only valid during the call; onChunk returns
 * false to stop reading (the rest of the file is never formatted by the kernel).
 *
 * procfs seq_files return one page (~4 KiB) per read(), so a million-socket table takes ~40,000
 * reads. Asynchronous reads pay a thread-pool round trip for each (measured: +50 % wall time), so
 * the buffer is filled with synchronous reads and the event loop gets a turn between buffers:
 * each turn blocks it for one buffer's worth of kernel work (~2,000 sockets, a few ms).
 */
export async function streamFile(path: string, onChunk: (chunk: Buffer) => boolean | void, chunkSize = STREAM_CHUNK): Promise<number> {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(chunkSize);
    let total = 0;
    for (;;) {
      let filled = 0;
      while (filled < buf.length) {
        const n = readSync(fd, buf, filled, buf.length - filled, null);
        if (n === 0) break;
        filled += n;
      }
      if (filled === 0) return total;
      total += filled;
      if (onChunk(buf.subarray(0, filled)) === false) return total;
      if (filled < buf.length) return total;
      await setImmediatePromise();
    }
  } finally {
    closeSync(fd);
  }
}
