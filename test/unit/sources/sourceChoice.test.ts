import { describe, expect, it } from 'vitest';
import { FallbackSocketSource } from '../../../src/sources/fallbackSocketSource.js';
import { selectSocketSource } from '../../../src/sources/selectSocketSource.js';
import type { SocketSource } from '../../../src/sources/socketSource.js';
import { silentLogger } from '../../helpers/collect.js';
import { fixture } from '../../helpers/paths.js';

/** --collector.source: the choices that open no socket (auto on this host's /proc, which opens one: test/integration/sources/socketSources.test.ts). */
describe('selectSocketSource', () => {
  const names = (s: SocketSource) => (s instanceof FallbackSocketSource ? [s.primary.name, s.fallback.name] : [s.name, undefined]);
  it('uses procfs on Linux for a tree that is not our namespace, even one lacking net/tcp', async () => {
    expect(names(await selectSocketSource('auto', fixture('proc'), silentLogger, 'linux'))).toEqual(['procfs', undefined]);
    expect(names(await selectSocketSource('auto', '/nonexistent', silentLogger, 'linux'))).toEqual(['procfs', undefined]);
  });
  it('uses a fixture tree on other systems when it has net/tcp', async () => {
    expect(names(await selectSocketSource('auto', fixture('proc'), silentLogger, 'darwin'))).toEqual(['procfs', undefined]);
  });
  it('falls back to systeminformation on other systems without procfs', async () => {
    expect(names(await selectSocketSource('auto', '/nonexistent', silentLogger, 'darwin'))).toEqual(['systeminformation', undefined]);
  });
  it('honours an explicit choice', async () => {
    expect(names(await selectSocketSource('systeminformation', fixture('proc'), silentLogger, 'linux'))).toEqual(['systeminformation', undefined]);
    expect(names(await selectSocketSource('procfs', '/proc', silentLogger, 'linux'))).toEqual(['procfs', undefined]);
    expect(names(await selectSocketSource('netlink', '/proc', silentLogger, 'linux'))).toEqual(['netlink', undefined]);
  });
});
