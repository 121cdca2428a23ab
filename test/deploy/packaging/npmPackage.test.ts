import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/paths.js';

interface PackedFile {
  path: string;
  mode: number;
}
interface Manifest {
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  scripts: Record<string, string>;
}

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;

/** What `npm pack` puts in the tarball (the build is the test run's: npm run test:deploy builds first). */
function packedFiles(): PackedFile[] {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Array<{ files: PackedFile[] }>)[0]!.files;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/**
 * The package as `npm install -g` gets it. Installing it for real (from the registry) and running
 * the bin is scripts/fresh-clone-check.sh, a CI stage: tests stay off the network.
 */
describe('the npm package', () => {
  const files = packedFiles();
  const paths = new Set(files.map((f) => f.path));

  it('is built when packed', () => {
    expect(manifest.scripts['prepack']).toMatch(/npm run build/);
  });

  it('carries the compiled exporter, every module of it, the README and the docs', () => {
    const modules = walk(join(REPO_ROOT, 'src'))
      .filter((f) => f.endsWith('.ts') && !f.includes(`${join('src', 'tools')}`))
      .map((f) => relative(REPO_ROOT, f).replace(/^src\//, 'dist/src/').replace(/\.ts$/, '.js'));
    expect(modules.length).toBeGreaterThan(50);
    for (const m of modules) expect(paths.has(m), m).toBe(true);
    for (const p of ['package.json', 'README.md', 'docs/metrics.md', 'docs/kubernetes.md']) expect(paths.has(p), p).toBe(true);
  });

  it('carries no sources, tests, benchmarks, scripts, source maps or dev tools', () => {
    const stray = [...paths].filter((p) => !/^(dist\/src\/.+\.js|docs\/.+\.md|package\.json|README\.md)$/.test(p) || p.startsWith('dist/src/tools/'));
    expect(stray).toEqual([]);
  });

  it('has an executable bin with a shebang that finds node on PATH', () => {
    for (const bin of Object.values(manifest.bin)) {
      const file = files.find((f) => f.path === bin);
      expect(file, bin).toBeDefined();
      expect(file!.mode & 0o111, `${bin} mode ${file!.mode.toString(8)}`).toBe(0o111);
      expect(readFileSync(join(REPO_ROOT, bin), 'utf8')).toMatch(/^#!\/usr\/bin\/env -S (\S+=\S+ )*node( |\n)/);
    }
  });

  it('declares every package the compiled exporter imports as a dependency', () => {
    const imported = new Set<string>();
    for (const f of walk(join(REPO_ROOT, 'dist', 'src')).filter((p) => p.endsWith('.js') && !p.includes(`${join('dist', 'src', 'tools')}`))) {
      const text = readFileSync(f, 'utf8');
      for (const [, spec] of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g)) {
        if (spec!.startsWith('.') || spec!.startsWith('node:')) continue;
        imported.add(spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!);
      }
    }
    expect(imported.size).toBeGreaterThan(3);
    for (const name of imported) expect(manifest.dependencies[name], `${name} is imported by dist/src`).toBeDefined();
  });
});
