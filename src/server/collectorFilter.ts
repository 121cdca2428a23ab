import { COLLECTOR_NAMES, type CollectorName } from '../collectors/index.js';

/** What a scrape's collect[]/exclude[] parameters ask for. */
export type CollectorChoice =
  /** `collectors` undefined: no filter, every enabled collector. */
  | { ok: true; collectors: ReadonlySet<CollectorName> | undefined }
  /** A 400 with this text. */
  | { ok: false; message: string };

function values(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

function isCollector(name: string): name is CollectorName {
  return (COLLECTOR_NAMES as readonly string[]).includes(name);
}

/**
 * node_exporter's per-scrape filter (its handler in node_exporter.go): `collect[]=sockets&collect[]=sysctl`
 * serves those collectors only, `exclude[]=snmp` every enabled one but those; both together are
 * refused with node_exporter's own message. A collect[] name must be a collector that is enabled
 * (node_exporter: "missing collector" / "disabled collector"); an exclude[] name must be a
 * collector (node_exporter ignores unknown ones; a typo here would otherwise filter nothing,
 * silently). `query` is the parsed query string: a repeated key is an array.
 */
export function chooseCollectors(query: Readonly<Record<string, unknown>>, enabled: ReadonlySet<CollectorName>): CollectorChoice {
  const collect = values(query['collect[]']);
  const exclude = values(query['exclude[]']);
  if (collect.length === 0 && exclude.length === 0) return { ok: true, collectors: undefined };
  if (collect.length > 0 && exclude.length > 0) return { ok: false, message: 'Combined collect and exclude queries are not allowed.' };
  const known = COLLECTOR_NAMES.join(', ');
  for (const name of [...collect, ...exclude]) {
    if (!isCollector(name)) return { ok: false, message: `unknown collector ${JSON.stringify(name)} in ${collect.length > 0 ? 'collect[]' : 'exclude[]'} (collectors: ${known})` };
  }
  if (collect.length > 0) {
    const off = collect.find((name) => !enabled.has(name as CollectorName));
    if (off !== undefined) return { ok: false, message: `collector ${JSON.stringify(off)} in collect[] is not enabled (enable it with --collector.${off})` };
    return { ok: true, collectors: new Set(collect as CollectorName[]) };
  }
  return { ok: true, collectors: new Set([...enabled].filter((name) => !exclude.includes(name))) };
}
