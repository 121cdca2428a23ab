import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execForm, keyValues, parseDockerfile, type Stage } from '../../helpers/dockerfile.js';
import { eventually } from '../../helpers/exporterProcess.js';
import { REPO_ROOT } from '../../helpers/paths.js';

const DOCKERFILE = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(DOCKERFILE);
const final = stages.at(-1)!;
const all = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op);

/** The rules hadolint would enforce on this Dockerfile, and ours (no engine runs on the test machines). */
describe('Dockerfile lint', () => {
  it('has a build stage, a production-dependency stage and a final stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(stages.slice(0, -1).every((s) => s.name !== undefined)).toBe(true);
  });

  it.each(stages.filter((s) => s.from !== 'scratch').map((s) => [s.from] as const))('pins its base image %s to an exact version (DL3006, DL3007)', (from) => {
    expect(from).toMatch(/^[a-z0-9./-]+:\d+\.\d+\.\d+[a-z0-9.-]*(@sha256:[a-f0-9]{64})?$/);
    expect(from).not.toMatch(/:latest\b/);
  });

  it('ships no npm: the final stage is scratch plus a copy of the base image\'s files made without it, not a layer over them', () => {
    expect(final.from).toBe('scratch');
    const root = all(final, 'COPY').find((c) => /^--from=\S+ \S+ \/$/.test(c.args));
    const source = stages.find((s) => s.name === /--from=(\S+)/.exec(root?.args ?? '')?.[1]);
    expect(source, 'COPY --from=<stage> <dir> /').toBeDefined();
    const copy = all(source!, 'RUN').map((r) => r.args).join(' ');
    for (const path of ['./usr/local/lib/node_modules', './usr/local/bin/npm', './usr/local/bin/npx', './usr/local/bin/corepack', './usr/local/bin/yarn', "'./opt/yarn-v*'"]) {
      expect(copy).toContain(`--exclude=${path} `);
    }
  });

  it('runs the final stage as a numeric non-root user (DL3002)', () => {
    const user = all(final, 'USER').at(-1)?.args ?? 'root';
    expect(user).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
  });

  it('uses exec form for ENTRYPOINT and CMD (DL3025) and absolute WORKDIRs (DL3000)', () => {
    for (const op of ['ENTRYPOINT', 'CMD']) for (const i of all(final, op)) expect(execForm(i.args), `${op} ${i.args}`).toBeDefined();
    for (const s of stages) for (const w of all(s, 'WORKDIR')) expect(isAbsolute(w.args)).toBe(true);
  });

  it('copies only from stages defined before (DL3022), uses no sudo (DL3004) and no cd in RUN (DL3003)', () => {
    const names = new Set<string>();
    for (const s of stages) {
      for (const c of all(s, 'COPY')) {
        const from = /--from=(\S+)/.exec(c.args)?.[1];
        if (from) expect(names.has(from), `COPY --from=${from}`).toBe(true);
      }
      for (const r of all(s, 'RUN')) expect(r.args).not.toMatch(/\bsudo\b|(^|&&|;)\s*cd\s/);
      if (s.name) names.add(s.name);
    }
  });

  it('carries the OCI labels and a .dockerignore that keeps the context to the sources', () => {
    const labels = Object.assign({}, ...all(final, 'LABEL').map((l) => keyValues(l.args))) as Record<string, string>;
    for (const key of ['title', 'description', 'licenses', 'source', 'version']) expect(labels[`org.opencontainers.image.${key}`], key).toBeTruthy();
    const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8');
    expect(ignore).toMatch(/^\*$/m);
    expect(ignore).not.toMatch(/^!(node_modules|dist|test)/m);
  });

  it('runs node with the same flags and environment as the bin\'s shebang', () => {
    const shebang = readFileSync(join(REPO_ROOT, 'src', 'cli.ts'), 'utf8').split('\n')[0]!;
    const words = shebang.replace(/^#!\/usr\/bin\/env -S /, '').split(' ');
    const env = Object.fromEntries(words.filter((w) => /^[A-Z_]+=/.test(w)).map((w) => w.split('=') as [string, string]));
    const flags = words.filter((w) => w.startsWith('--'));
    const entrypoint = execForm(all(final, 'ENTRYPOINT').at(-1)!.args)!;
    expect(entrypoint).toEqual(['node', ...flags, 'dist/src/cli.js']);
    const imageEnv = Object.assign({}, ...all(final, 'ENV').map((e) => keyValues(e.args))) as Record<string, string>;
    expect(imageEnv).toMatchObject(env);
  });
});

/**
 * The image's steps replayed in a clean directory per stage: the same COPY and RUN instructions
 * (RUN steps that change the base image itself, such as removing npm, are the one exception),
 * then the final stage's ENTRYPOINT started as its USER and scraped.
 */
describe.runIf(process.platform === 'linux')('the image build and start, replayed without a container engine', () => {
  const root = mkdtempSync(join(tmpdir(), 'tcpstate-image-'));
  chmodSync(root, 0o755);
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const dirs = new Map<string, string>();
  let finalWorkdir = '';
  let finalEnv: Record<string, string> = {};

  it('builds every stage', () => {
    stages.forEach((stage, index) => {
      const dir = join(root, `stage${index}`);
      mkdirSync(dir);
      let workdir = '/';
      let env: Record<string, string> = {};
      for (const { op, args } of stage.instructions) {
        if (op === 'WORKDIR') {
          workdir = args;
          mkdirSync(join(dir, workdir), { recursive: true });
        } else if (op === 'ENV') {
          env = { ...env, ...keyValues(args) };
        } else if (op === 'COPY') {
          const words = args.split(/\s+/);
          const from = words[0]!.startsWith('--from=') ? words.shift()!.slice('--from='.length) : undefined;
          const dest = words.pop()!;
          const destPath = join(dir, isAbsolute(dest) ? dest : join(workdir, dest));
          for (const src of words) {
            const srcPath = from ? join(dirs.get(from)!, src) : join(REPO_ROOT, src);
            if (from && !existsSync(srcPath)) continue; // made by a RUN on the base image's files, not replayed
            if (statSync(srcPath).isDirectory()) cpSync(srcPath, destPath, { recursive: true });
            else cpSync(srcPath, dest.endsWith('/') || words.length > 1 ? join(destPath, basename(src)) : destPath);
          }
        } else if (op === 'RUN') {
          if (workdir === '/') continue; // works on the base image's own files (copies them without npm), not ours
          const r = spawnSync('sh', ['-c', args], { cwd: join(dir, workdir), env: { ...process.env, ...env }, encoding: 'utf8' });
          expect(r.status, `RUN ${args}\n${r.stderr}`).toBe(0);
        }
      }
      if (stage.name) dirs.set(stage.name, dir);
      finalWorkdir = join(dir, workdir);
      finalEnv = env;
    });
    expect(existsSync(join(finalWorkdir, 'dist', 'src', 'cli.js'))).toBe(true);
    expect(existsSync(join(finalWorkdir, 'node_modules', 'fastify'))).toBe(true);
    // Production dependencies only: no compiler, no test runner.
    expect(existsSync(join(finalWorkdir, 'node_modules', 'typescript'))).toBe(false);
    expect(existsSync(join(finalWorkdir, 'node_modules', 'vitest'))).toBe(false);
  }, 300_000);

  it('starts as the image user, serves /metrics, and stops promptly on SIGTERM', async () => {
    const entrypoint = execForm(all(final, 'ENTRYPOINT').at(-1)!.args)!;
    const user = all(final, 'USER').at(-1)!.args.split(':');
    const command = [process.execPath, ...entrypoint.slice(1), '--web.listen-address=127.0.0.1:0', '--log.format=json'];
    // As root, run as the image's uid/gid, as the container would.
    const asUser = process.getuid?.() === 0 ? ['setpriv', `--reuid=${user[0]}`, `--regid=${user[1] ?? user[0]}`, '--clear-groups'] : [];
    const argv = [...asUser, ...command];
    const child = spawn(argv[0]!, argv.slice(1), { cwd: finalWorkdir, env: { PATH: process.env['PATH'] ?? '', ...finalEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    try {
      const url = await eventually(async () => /"url":"(http:\/\/[^"]+)"/.exec(log)?.[1], 20_000, `listening (log: ${log})`);
      const body = await eventually(async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return /tcpstate_collector_success\{collector="sockets"\} 1/.test(text) ? text : undefined;
      }, 20_000, 'a successful collection');
      expect(body).toMatch(/^tcpstate_build_info\{version="0\.1\.0"/m);
      const t0 = performance.now();
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      expect(code).toBe(0);
      expect(performance.now() - t0).toBeLessThan(5000);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
