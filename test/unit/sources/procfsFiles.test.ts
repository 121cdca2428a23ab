import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileTooLargeError, isNotFound, readSmallFile, SMALL_FILE_LIMIT, streamFile } from '../../../src/sources/procfsFiles.js';

describe('readSmallFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpstate-small-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file spanning several chunks exactly', async () => {
    const text = 'Tcp: '.padEnd(40_000, 'x') + '\n';
    writeFileSync(join(dir, 'multi'), text);
    expect(await readSmallFile(join(dir, 'multi'))).toBe(text);
  });

  it('reads a file of exactly the limit, and refuses one byte more', async () => {
    writeFileSync(join(dir, 'limit'), Buffer.alloc(SMALL_FILE_LIMIT, 0x61));
    expect((await readSmallFile(join(dir, 'limit'))).length).toBe(SMALL_FILE_LIMIT);
    writeFileSync(join(dir, 'over'), Buffer.alloc(SMALL_FILE_LIMIT + 1, 0x61));
    await expect(readSmallFile(join(dir, 'over'))).rejects.toBeInstanceOf(FileTooLargeError);
  });

  it('keeps a missing file detectable', async () => {
    const err = await readSmallFile(join(dir, 'absent')).catch((e: unknown) => e);
    expect(isNotFound(err)).toBe(true);
  });
});

describe('streamFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpstate-stream-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the file in a read error, which read(2) does not (a directory mounted where net/tcp should be)', async () => {
    const path = join(dir, 'tcp');
    mkdirSync(path);
    const err = await streamFile(path, () => true).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EISDIR' });
    expect((err as Error).message).toBe(`${path}: EISDIR: illegal operation on a directory, read`);
  });
});
