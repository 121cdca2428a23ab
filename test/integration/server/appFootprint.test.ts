import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/paths.js';

/** The built app (dist/) in a fresh process: what it loads (its behaviour: test/unit/server/httpApp.test.ts). */
describe('HTTP app footprint', () => {
  it('never loads Fastify\'s schema compilers (Ajv, fast-json-stringify): no route has a schema', () => {
    // A fresh process, since this test process has Ajv loaded for other tests. (Fastify's
    // precompiled error serializer needs fast-json-stringify's small runtime, not its compiler.)
    const script = `
      import { createRequire } from 'node:module';
      const { buildApp } = await import(${JSON.stringify(join(REPO_ROOT, 'dist', 'src', 'server', 'app.js'))});
      const { default: pino } = await import('pino');
      const app = buildApp({
        exposition: { render: async () => ({ contentType: 'text/plain', body: 'x 1\\n' }) },
        collectors: new Set(),
        snapshots: { latest: () => undefined },
        telemetryPath: '/metrics',
        build: { version: '0', revision: '0', nodeVersion: process.version },
        logger: pino({ level: 'silent' }),
      });
      const codes = [];
      for (const url of ['/metrics', '/healthz', '/readyz', '/nope']) codes.push((await app.inject({ url })).statusCode);
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((f) => /node_modules\\/(ajv|@fastify\\/ajv-compiler|@fastify\\/fast-json-stringify-compiler)\\/|fast-json-stringify\\/index\\.js$/.test(f));
      console.log(JSON.stringify({ codes, loaded }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' })) as { codes: number[]; loaded: string[] };
    expect(out.codes).toEqual([200, 200, 503, 404]);
    expect(out.loaded).toEqual([]);
  });
});
