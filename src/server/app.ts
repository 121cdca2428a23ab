import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Exposition } from '../metrics/exposition.js';
import type { SnapshotReader } from '../snapshot/snapshot.js';
import type { BuildInfo } from '../version.js';
import { renderLandingPage } from './landingPage.js';
import { acceptsGzip, wantsOpenMetrics } from './negotiate.js';

const gzipAsync = promisify(gzip);

export interface AppDeps {
  exposition: Exposition;
  snapshots: SnapshotReader;
  telemetryPath: string;
  build: BuildInfo;
  logger: Logger;
  /** Called from Fastify's onClose hook, e.g. to stop the poller. */
  onClose?: () => Promise<void>;
}

/** Builds the HTTP app without listening: tests drive it with inject(), cli.ts listens. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // A scrape every few seconds would drown everything else at info level.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    requestTimeout: 30_000,
  });

  app.get(deps.telemetryPath, async (request, reply) => {
    const { contentType, body } = await deps.exposition.render(wantsOpenMetrics(request.headers.accept) ? 'openmetrics' : 'prometheus');
    reply.header('content-type', contentType).header('vary', 'accept, accept-encoding');
    if (acceptsGzip(request.headers['accept-encoding'])) {
      reply.header('content-encoding', 'gzip');
      return reply.send(await gzipAsync(body));
    }
    return reply.send(body);
  });

  app.get('/healthz', async (_request, reply) => reply.type('text/plain').send('ok\n'));

  app.get('/readyz', async (_request, reply) => {
    const ready = deps.snapshots.latest() !== undefined;
    return reply
      .code(ready ? 200 : 503)
      .type('text/plain')
      .send(ready ? 'ready\n' : 'not ready: no collection has finished yet\n');
  });

  app.get('/', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(renderLandingPage(deps.build, deps.telemetryPath, deps.snapshots.latest())),
  );

  if (deps.onClose) {
    const onClose = deps.onClose;
    app.addHook('onClose', async () => onClose());
  }
  return app;
}
