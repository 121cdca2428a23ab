import { readSync } from 'node:fs';
import { open, statfs, type FileHandle } from 'node:fs/promises';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import { join } from 'node:path';
import { pendingReads } from './pendingReads.js';

/**
 * Bounded reads under the procfs root. Every path the exporter reads goes through here, so a
 * fixture tree given with --path.procfs replaces the whole kernel.
 *
 * A read may never return: a FIFO nobody writes, a root on a dead NFS or FUSE server, a wedged
 * kernel lock. Such a read must hold a pool thread, never the event loop (which answers scrapes
 * and signals), and must not be repeated while it hangs (each repeat would hold another of the
 * pool's 4 threads). So every open and every read that can hang runs on the pool and is listed
 * in `pendingReads`, and a file is never read twice at once: small-file reads of one path share
 * the read under way, and streams of one path wait for the previous stream to end.
 */

/** Small files (snmp, sysctls, sockstat) are read whole, up to this size. */
export const SMALL_FILE_LIMIT = 1 << 20;
/** Socket tables are streamed in chunks of this size. */
export const STREAM_CHUNK = 256 * 1024;
/** statfs(2) f_type of procfs (include/uapi/linux/magic.h). */
const PROC_SUPER_MAGIC = 0x9fa0;

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

const smallReads = new Map<string, Promise<string>>();
const streams = new Map<string, Promise<void>>();

/**
 * One bounded read of a small file, in chunks as large as the file turns out to be (procfs reports
 * size 0, so it cannot be asked first). ENOENT is rethrown as-is so callers can detect it. A read
 * of the same path already under way is shared, not repeated.
 */
export function readSmallFile(path: string): Promise<string> {
  let reading = smallReads.get(path);
  if (!reading) {
    const started = readSmallFileOnce(path);
    reading = started;
    const forget = (): void => {
      if (smallReads.get(path) === started) smallReads.delete(path);
    };
    started.then(forget, forget);
    smallReads.set(path, started);
  }
  return reading;
}

async function readSmallFileOnce(path: string): Promise<string> {
  const handle = await pendingReads.track(path, 'open', () => open(path, 'r'));
  try {
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(SMALL_FILE_CHUNK);
      const { bytesRead } = await pendingReads.track(path, 'read', () => handle.read(chunk, 0, chunk.length, null));
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
 * false to stop reading (the rest of the file is never formatted by the kernel). A stream of a
 * path starts only once the previous stream of that path has ended.
 *
 * procfs seq_files return one page (~4 KiB) per read(), so a million-socket table takes ~40,000
 * reads. Asynchronous reads pay a thread-pool round trip for each (measured: +50 % wall time), so
 * on procfs, once the first read has returned (the file answers), the buffer is filled with
 * synchronous reads and the event loop gets a turn between buffers: each turn blocks it for one
 * buffer's worth of kernel work (~2,000 sockets, a few ms). Anywhere else (a fixture tree, a FIFO,
 * NFS, FUSE) every read goes through the pool, where a hang holds a thread and not the loop.
 */
export function streamFile(path: string, onChunk: (chunk: Buffer) => boolean | void, chunkSize = STREAM_CHUNK): Promise<number> {
  const previous = streams.get(path);
  const run = previous ? previous.then(() => streamOnce(path, onChunk, chunkSize)) : streamOnce(path, onChunk, chunkSize);
  const ended = run.then(
    () => undefined,
    () => undefined,
  );
  streams.set(path, ended);
  void ended.then(() => {
    if (streams.get(path) === ended) streams.delete(path);
  });
  return run;
}

/** Whether `path` is on a procfs mount (statfs f_type), where a read does not hang unless the kernel does. */
export async function isProcfs(path: string): Promise<boolean> {
  return (await pendingReads.track(path, 'statfs', () => statfs(path))).type === PROC_SUPER_MAGIC;
}

async function streamOnce(path: string, onChunk: (chunk: Buffer) => boolean | void, chunkSize: number): Promise<number> {
  const onProcfs = await isProcfs(path);
  const handle = await pendingReads.track(path, 'open', () => open(path, 'r'));
  try {
    return await streamHandle(path, handle, onProcfs, onChunk, chunkSize);
  } catch (err) {
    // read(2)'s errors (EISDIR, EIO) carry no path, unlike open(2)'s: name the file.
    if (err instanceof Error && 'code' in err && !err.message.includes(path)) err.message = `${path}: ${err.message}`;
    throw err;
  } finally {
    await handle.close();
  }
}

async function streamHandle(path: string, handle: FileHandle, onProcfs: boolean, onChunk: (chunk: Buffer) => boolean | void, chunkSize: number): Promise<number> {
  const buf = Buffer.allocUnsafe(chunkSize);
  let total = 0;
  for (;;) {
    let filled = 0;
    while (filled < buf.length) {
      const n = onProcfs && total + filled > 0 ? readSync(handle.fd, buf, filled, buf.length - filled, null) : await readOnPool(path, handle, buf, filled);
      if (n === 0) break;
      filled += n;
    }
    if (filled === 0) return total;
    total += filled;
    if (onChunk(buf.subarray(0, filled)) === false) return total;
    if (filled < buf.length) return total;
    await setImmediatePromise();
  }
}

async function readOnPool(path: string, handle: FileHandle, buf: Buffer, offset: number): Promise<number> {
  return (await pendingReads.track(path, 'read', () => handle.read(buf, offset, buf.length - offset, null))).bytesRead;
}
