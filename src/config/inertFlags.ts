import { COLLECTOR_NAMES, type CollectorName } from '../collectors/index.js';

/**
 * An option of a collector given on the command line while that collector is off, or a collector
 * turned on without one it needs (`--collector.tcpinfo` with the sockets collector off): it has no
 * effect. Accepted (node_exporter accepts them too, and a manifest that turns a collector off
 * should not have to drop its options), and said once at start.
 */
export interface InertFlag {
  /** As given, without the leading dashes: "collector.netns.receive-buffer", "no-collector.ephemeral.remote-address". */
  flag: string;
  /** The collectors it needs that are off, in the order it names them: "netns", "connections". */
  missing: readonly CollectorName[];
  /** Set when any one of `missing` would do (a flag several collectors read, all of them off). */
  anyOf?: true;
}

/** What a flag needs: every one of `all`, and at least one of `anyOf` when that is given. */
export interface FlagNeeds {
  all: readonly CollectorName[];
  anyOf?: readonly CollectorName[];
}

/**
 * The collectors a flag takes effect with: `needs` when its spec names them (an option serving
 * two collectors, or one named after what it shapes, not after its collector), else the X of
 * `collector.X.option` when X is a collector, else none (a flag of every collector, e.g.
 * collector.ports.* that the sockets, connections and netns collectors all read).
 */
export function collectorsNeeded(name: string, needs: readonly CollectorName[] | undefined): readonly CollectorName[] {
  if (needs !== undefined) return needs;
  const x = asCollector(/^collector\.([a-z]+)\.[a-z0-9.-]+$/.exec(name)?.[1]);
  return x !== undefined ? [x] : [];
}

/** The collector a `collector.X` or `no-collector.X` flag switches, else undefined. */
function switchedCollector(flag: string): CollectorName | undefined {
  return asCollector(/^(?:no-)?collector\.([a-z]+)$/.exec(flag)?.[1]);
}

function asCollector(x: string | undefined): CollectorName | undefined {
  return x !== undefined && (COLLECTOR_NAMES as readonly string[]).includes(x) ? (x as CollectorName) : undefined;
}

/**
 * The flags of `given` (names as parseArgs' tokens give them, "no-" twins included, each at most
 * once in the result) that need a collector `enabled` lacks. `needsOf` gives a flag's collectors
 * (collectorsNeeded with its spec). Defaults are never given, so never inert. A collector's own
 * switch is judged only as `--collector.X` (`--collector.tcpinfo` without sockets):
 * `--no-collector.X` did what it asked whatever else is off.
 */
export function inertFlags(given: Iterable<string>, enabled: ReadonlySet<CollectorName>, needsOf: (name: string) => FlagNeeds): InertFlag[] {
  const out: InertFlag[] = [];
  const seen = new Set<string>();
  for (const flag of given) {
    if (seen.has(flag)) continue;
    seen.add(flag);
    const switched = switchedCollector(flag);
    if (switched !== undefined && flag.startsWith('no-')) continue;
    const needs = needsOf(flag.replace(/^no-/, ''));
    const missing = needs.all.filter((c) => !enabled.has(c));
    if (missing.length > 0) out.push({ flag, missing });
    else if (needs.anyOf && needs.anyOf.length > 0 && !needs.anyOf.some((c) => enabled.has(c))) out.push({ flag, missing: needs.anyOf, anyOf: true });
  }
  return out;
}

/**
 * The start-up warning for one inert flag: logfmt/JSON fields and the message. A collector turned
 * on without what it needs is also said to fail every cycle: its `success 0` is what follows.
 */
export function describeInertFlag(f: InertFlag): { fields: { flag: string; needs: string }; msg: string } {
  const needs = f.missing.map((c) => `--collector.${c}`);
  const list = f.anyOf ? needs.join(' or ') : needs.join(' and ');
  const off = needs.length === 1 ? 'which is off' : f.anyOf ? 'all off' : 'which are off';
  const switched = switchedCollector(f.flag);
  return {
    fields: { flag: `--${f.flag}`, needs: needs.join(' ') },
    msg: `--${f.flag} has no effect without ${list}, ${off}${switched ? `: the ${switched} collector fails every cycle` : ''}`,
  };
}
