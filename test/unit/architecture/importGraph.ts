import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { isStringLiteral } from 'typescript/unstable/ast/is';
import { API } from 'typescript/unstable/sync';

/** One import of a file of src/ by another, both relative to src/ (`collectors/index.ts`). */
export interface ImportEdge {
  from: string;
  to: string;
}

/**
 * The imports between files of src/, as the TypeScript compiler sees them: static imports,
 * `import type`, re-exports and `import()` with a literal specifier (SourceFile.imports). Only
 * relative specifiers name files of ours; `./x.js` is the source file `./x.ts` (NodeNext).
 * Throws on a relative specifier that names no file of src/.
 *
 * TypeScript 7 has no in-process compiler API: this asks the bundled tsgo through its API
 * (`typescript/unstable/sync`, a child process, about a second). "unstable" means the API may
 * change in a minor release: then this throws or finds nothing, and the test says so, it does not
 * pass quietly.
 */
export function srcImportGraph(root: string): ImportEdge[] {
  const src = resolve(root, 'src');
  const api = new API({ cwd: root });
  try {
    const project = api.updateSnapshot({ openProjects: [resolve(root, 'tsconfig.build.json')] }).getProjects()[0];
    if (!project) throw new Error('tsgo opened no project for tsconfig.build.json');
    const edges: ImportEdge[] = [];
    for (const file of project.program.getSourceFileNames()) {
      if (!file.startsWith(`${src}/`)) continue;
      for (const spec of project.program.getSourceFile(file)?.imports ?? []) {
        if (!isStringLiteral(spec) || !spec.text.startsWith('.')) continue;
        const target = resolve(dirname(file), spec.text).replace(/\.js$/, '.ts');
        if (!target.startsWith(`${src}/`) || !existsSync(target)) throw new Error(`${relative(src, file)}: import '${spec.text}' names no file of src/`);
        edges.push({ from: relative(src, file), to: relative(src, target) });
      }
    }
    return edges;
  } finally {
    api.close();
  }
}

/** The first import cycle found, as a path that ends where it starts, or null. */
export function findCycle(edges: readonly ImportEdge[]): string[] | null {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (file: string): string[] | null => {
    if (onPath.has(file)) return [...path.slice(path.indexOf(file)), file];
    if (done.has(file)) return null;
    path.push(file);
    onPath.add(file);
    for (const to of next.get(file) ?? []) {
      const cycle = visit(to);
      if (cycle) return cycle;
    }
    path.pop();
    onPath.delete(file);
    done.add(file);
    return null;
  };
  for (const file of [...next.keys()].sort()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return null;
}

/**
 * The layer of a file: its top folder of src/, or the name of a top-level file without `.ts`
 * (`cli.ts` and `cli/` are one layer, as are `config.ts` and `config/`).
 */
export function layerOf(file: string): string {
  return file.split('/')[0]!.replace(/\.ts$/, '');
}

/**
 * Imports that do not go strictly down `layers` (listed top first; a row holds layers of the same
 * rank, which must not import one another). A file in no listed layer is reported too.
 */
export function layerViolations(edges: readonly ImportEdge[], layers: ReadonlyArray<readonly string[]>): string[] {
  const rank = new Map(layers.flatMap((row, i) => row.map((name) => [name, i] as const)));
  const out: string[] = [];
  for (const { from, to } of edges) {
    const [a, b] = [layerOf(from), layerOf(to)];
    if (a === b) continue;
    const [ra, rb] = [rank.get(a), rank.get(b)];
    if (ra === undefined || rb === undefined) out.push(`${from} -> ${to}: ${ra === undefined ? a : b} is in no layer`);
    else if (ra >= rb) out.push(`${from} -> ${to}: ${a} may not import ${b} (${ra === rb ? 'same rank' : 'a higher layer'})`);
  }
  return out;
}
