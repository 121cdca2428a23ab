import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerFactory } from 'fastify';
import type { Logger } from 'pino';
import type { CollectorName } from '../collectors/index.js';
import type { Exposition } from '../metrics/exposition.js';
import { readiness } from '../snapshot/readiness.js';
import type { SnapshotReader } from '../snapshot/snapshot.js';
import type { BuildInfo } from '../version.js';
import { HttpServers } from './httpServers.js';
import { chooseCollectors } from './collectorFilter.js';
import { renderLandingPage } from './landingPage.js';
import type { WebSecurity } from './webSecurity.js';
import { acceptsGzip, wantsOpenMetrics } from './negotiate.js';
import { SCRAPE_TIMEOUT_HEADER, scrapeWaitMs, within } from './scrapeTimeout.js';


export interface AppDeps {
  exposition: Exposition;
  /** The collectors enabled: what collect[]/exclude[] may choose from. */
  collectors: ReadonlySet<CollectorName>;
  snapshots: SnapshotReader;
  telemetryPath: string;
  build: BuildInfo;
  logger: Logger;
  /** Called from Fastify's onClose hook, e.g. to stop the poller. */
  onClose?: () => Promise<void>;
  /** --web.config.file: TLS, basic auth, headers. */
  security?: WebSecurity;
  /** --web.max-requests: requests served at once; more get 503 at once. 0: no limit. */
  maxRequests?: number;
  /** Age in ms past which /readyz calls the snapshot stale (snapshot/deadline.ts); default from the snapshot's interval. */
  staleAfterMs?: number;
  /** The clock /readyz judges staleness by (tests move it). */
  now?: () => number;
}

/** Seconds a client has to send a whole request; a slow or stalled client is cut off after it. */
const REQUEST_TIMEOUT_MS = 30_000;
/** An idle keep-alive connection is closed after this. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

function noSchemaCompiler(): never {
  throw new Error('tcpstate-exporter routes take no schema (Fastify is built without schema compilers)');
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The servers behind the app: cli.ts listens on each address through it; closed with the app. */
    httpServers: HttpServers;
  }
}

/** Builds the HTTP app without listening: tests drive it with inject(), cli.ts listens. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const https = deps.security?.https;
  const servers = new HttpServers({
    ...(https ? { https } : {}),
    http2: deps.security?.http2 ?? false,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
  });
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // A scrape every few seconds would drown everything else at info level.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // Nothing the exporter serves takes a body.
    bodyLimit: 1024,
    // No route has a schema, so Fastify's default compilers (Ajv, fast-json-stringify) would be
    // loaded for nothing: ~2 MB of resident set in every exporter. A schema added later fails loudly.
    schemaController: { compilersFactory: { buildValidator: noSchemaCompiler, buildSerializer: noSchemaCompiler } },
    // The servers are made by HttpServers, so that every --web.listen-address gets one alike:
    // HTTP, HTTPS (an http.Server too, as Fastify's types say) or HTTP/2 with HTTP/1.1 (which
    // they do not: they tie an instance to one server kind). Fastify's handler serves every kind
    // alike; nothing here reads app.server, and what is kind-specific in a raw request (the TLS
    // socket, webSecurity.ts) is narrowed at run time.
    serverFactory: servers.factory as FastifyServerFactory,
  });
  app.decorate('httpServers', servers);
  // Before Fastify's own close: stop accepting everywhere and let requests in flight finish.
  app.addHook('preClose', async () => servers.close());
  if (deps.maxRequests) limitConcurrency(app, deps.maxRequests);
  deps.security?.install(app);

  app.get(deps.telemetryPath, async (request, reply) => {
    const choice = chooseCollectors(request.query as Record<string, unknown>, deps.collectors);
    if (!choice.ok) return reply.code(400).type('text/plain').send(`${choice.message}\n`);
    await firstCollection(deps.snapshots, request.headers[SCRAPE_TIMEOUT_HEADER], request.log);
    const gzip = acceptsGzip(request.headers['accept-encoding']);
    const { contentType, body } = await deps.exposition.render(wantsOpenMetrics(request.headers.accept) ? 'openmetrics' : 'prometheus', gzip, choice.collectors);
    reply.header('content-type', contentType).header('vary', 'accept, accept-encoding');
    if (gzip) reply.header('content-encoding', 'gzip');
    return reply.send(body);
  });

  app.get('/healthz', async (_request, reply) => reply.type('text/plain').send('ok\n'));

  const now = deps.now ?? Date.now;
  app.get('/readyz', async (_request, reply) => {
    const { ready, reason } = readiness(deps.snapshots.latest(), now(), deps.staleAfterMs);
    return reply
      .code(ready ? 200 : 503)
      .type('text/plain')
      .send(`${reason}\n`);
  });

  app.get('/', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(renderLandingPage(deps.build, deps.telemetryPath, deps.snapshots.latest(), now())),
  );

  app.setNotFoundHandler(async (_request, reply) => reply.code(404).type('text/plain').send('not found\n'));

  if (deps.onClose) {
    const onClose = deps.onClose;
    app.addHook('onClose', async () => onClose());
  }
  return app;
}

/**
 * Scrapes never wait for a collection: they are answered from the last snapshot in memory. The
 * one exception is a scrape before the first collection has finished (start-up), which would
 * otherwise get the exporter's own metrics only: it waits for that first snapshot within the
 * scrape timeout the scraper sent (less an offset), then answers with whatever there is. Without
 * the header (curl) it does not wait.
 */
async function firstCollection(snapshots: SnapshotReader, timeoutHeader: string | string[] | undefined, log: FastifyBaseLogger): Promise<void> {
  if (snapshots.latest() !== undefined || !snapshots.first) return;
  const waitMs = scrapeWaitMs(timeoutHeader);
  if (waitMs <= 0) return;
  log.debug({ wait_ms: waitMs }, 'scrape waits for the first collection');
  if ((await within(snapshots.first(), waitMs)) === undefined) log.debug({ wait_ms: waitMs }, 'first collection still running at the scrape deadline; answering without it');
}

/**
 * At most `max` requests in flight; the next gets 503 at once instead of queueing behind slow
 * ones (like --web.max-requests of Prometheus). Counted from arrival to the response or abort.
 */
function limitConcurrency(app: FastifyInstance, max: number): void {
  let inFlight = 0;
  const counted = new WeakSet<object>();
  const release = async (request: { raw: object }): Promise<void> => {
    if (counted.delete(request.raw)) inFlight--;
  };
  app.addHook('onRequest', async (request, reply) => {
    if (inFlight >= max) return reply.code(503).header('retry-after', '1').type('text/plain').send('too many concurrent requests\n');
    inFlight++;
    counted.add(request.raw);
    return undefined;
  });
  app.addHook('onResponse', release);
  app.addHook('onRequestAbort', release);
}
