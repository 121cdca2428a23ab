import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/paths.js';
import { findCycle, layerViolations, srcImportGraph, type ImportEdge } from './importGraph.js';

/**
 * Imports run one way, from the HTTP edge and the command line down to the kernel's formats
 * (docs: /work/shared/STYLE.md "Imports"; README "How it works"). Top first; layers in one row
 * are peers and import neither each other nor anything above.
 */
const LAYERS: ReadonlyArray<readonly string[]> = [
  ['cli', 'tools'], // flags, listen, the snapshot view; the docs generator
  ['server'], // Fastify, its servers, web config
  ['config'], // flags into ExporterConfig
  ['metrics'], // metric families from a snapshot
  ['snapshot'], // the poller and the snapshot it publishes
  ['collectors', 'runtime'], // one file per collector; start-up page release and exit
  ['sources'], // socket-table sources and bounded reads under --path.procfs
  ['aggregate'], // per-port arrays the sources feed
  ['parse', 'native'], // pure parsers; libc through koffi
  ['model', 'version'], // records, states, log and build facts
];

describe('src/ imports', () => {
  const edges = srcImportGraph(REPO_ROOT);

  it('are read (a TypeScript API change must not make this pass on an empty graph)', () => {
    expect(edges.length).toBeGreaterThan(150);
    expect(edges).toContainEqual({ from: 'cli.ts', to: 'config.ts' });
    expect(edges).toContainEqual({ from: 'collectors/index.ts', to: 'collectors/socketsCollector.ts' }); // a static import
    expect(edges).toContainEqual({ from: 'collectors/index.ts', to: 'collectors/netnsCollector.ts' }); // a type import and an import()
  });

  it('form no cycle', () => {
    expect(findCycle(edges)).toBeNull();
  });

  it('only go down the layers', () => {
    expect(layerViolations(edges, LAYERS)).toEqual([]);
  });
});

describe('the import checks themselves', () => {
  const graph: ImportEdge[] = [
    { from: 'cli.ts', to: 'config.ts' },
    { from: 'config.ts', to: 'collectors/index.ts' },
    { from: 'collectors/index.ts', to: 'collectors/netnsCollector.ts' },
    { from: 'collectors/netnsCollector.ts', to: 'sources/selectSocketSource.ts' },
  ];

  it('find a cycle through layers, as the one issue 15 found', () => {
    expect(findCycle(graph)).toBeNull();
    const back = { from: 'sources/selectSocketSource.ts', to: 'config.ts' };
    expect(findCycle([...graph, back])).toEqual(['config.ts', 'collectors/index.ts', 'collectors/netnsCollector.ts', 'sources/selectSocketSource.ts', 'config.ts']);
  });

  it('report an import of a higher layer, of a peer, and of a file in no layer', () => {
    expect(layerViolations(graph, LAYERS)).toEqual([]);
    expect(
      layerViolations(
        [
          { from: 'sources/selectSocketSource.ts', to: 'collectors/socketsCollector.ts' },
          { from: 'collectors/netnsCollector.ts', to: 'runtime/exit.ts' },
          { from: 'sources/x.ts', to: 'newfolder/y.ts' },
        ],
        LAYERS,
      ),
    ).toEqual([
      'sources/selectSocketSource.ts -> collectors/socketsCollector.ts: sources may not import collectors (a higher layer)',
      'collectors/netnsCollector.ts -> runtime/exit.ts: collectors may not import runtime (same rank)',
      'sources/x.ts -> newfolder/y.ts: newfolder is in no layer',
    ]);
  });
});
