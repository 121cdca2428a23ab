import type { Netns } from '../../bench/netns.js';
import { eventually } from './exporterProcess.js';
import { samplesOf } from './exposition.js';
import { CLI } from './paths.js';
import { AS_NOBODY } from './privileges.js';

/**
 * python3 inside the namespace fetches a URL there (the namespace's loopback is not reachable
 * from the test), from a source port outside any ephemeral range a test sets (20000-29999): a
 * test may have exhausted the range, and a scraper from another host would not need one of it.
 */
const FETCH = `import http.client, random, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
for attempt in range(20):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10, source_address=(u.hostname, random.randint(20000, 29999)))
    try:
        c.request("GET", u.path); r = c.getresponse(); break
    except OSError as e:
        if e.errno != 98 or attempt == 19: raise  # EADDRINUSE: that source port is taken, try another
print(r.status); print(r.read().decode(), end="")`;

export interface NetnsExporter {
  url: string;
  pid: number;
  /** GET of a path on the exporter, from inside the namespace. */
  get(path: string): { status: number; body: string };
  /** /metrics as name{labels} → value. */
  samples(): Map<string, number>;
}

/**
 * Starts the built exporter (the real binary) inside `ns`, listening on 127.0.0.1:`port` there,
 * and waits until it is ready (a first snapshot); with `asNobody`, as the unprivileged nobody user
 * (setpriv; see privileges.ts for when that is possible). It is killed with everything else in
 * the namespace by ns.destroy().
 */
export async function startExporterIn(ns: Netns, port: number, args: readonly string[] = [], opts: { asNobody?: boolean } = {}): Promise<NetnsExporter> {
  const exporterArgs = [`--web.listen-address=127.0.0.1:${port}`, '--log.format=json', ...args];
  const { child } = opts.asNobody
    ? await ns.startUntil('setpriv', [...AS_NOBODY, process.execPath, CLI, ...exporterArgs], /"url":"/, 'stderr')
    : await ns.startUntil(CLI, exporterArgs, /"url":"/, 'stderr');
  const url = `http://127.0.0.1:${port}`;
  const get = (path: string): { status: number; body: string } => {
    const r = ns.exec('python3', ['-c', FETCH, `${url}${path}`]);
    if (r.status !== 0) throw new Error(`GET ${path} in ${ns.name} failed: ${r.stderr}`);
    const nl = r.stdout.indexOf('\n');
    return { status: Number(nl < 0 ? r.stdout : r.stdout.slice(0, nl)), body: nl < 0 ? '' : r.stdout.slice(nl + 1) };
  };
  await eventually(async () => (get('/readyz').status === 200 ? true : undefined), 15_000, 'exporter ready in the namespace');
  return { url, pid: child.pid!, get, samples: () => samplesOf(get('/metrics').body) };
}
