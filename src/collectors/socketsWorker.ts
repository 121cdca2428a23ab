/**
 * Worker-thread side of OffThreadSocketsCollector: owns the socket sources and the aggregator,
 * so a walk over a million sockets (a second of mostly kernel time) never blocks the HTTP server.
 * Protocol: parent sends {type:"collect", id}; worker answers {type:"result"|"error", id, …}.
 * Log records travel to the parent as messages, which it re-emits through its own logger (the
 * worker does not load pino: every module here costs memory in a second V8 isolate).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PortLimits } from '../aggregate/socketSummary.js';
import type { LogLevel, SourceChoice } from '../config.js';
import type { Log, LogLevelName } from '../model/log.js';
import { selectSocketSources } from '../sources/selectSocketSource.js';
import { SocketsCollector } from './socketsCollector.js';

export interface SocketsWorkerConfig {
  source: SourceChoice;
  procfs: string;
  limits: PortLimits;
  logLevel: LogLevel;
}

export type WorkerMessage =
  | { type: 'ready'; primary: string; fallback: string | undefined; reportsKernelDetail: boolean }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; message: string }
  | { type: 'log'; level: LogLevelName; obj: object; msg: string };

const port = parentPort;
if (!port) throw new Error('socketsWorker must run in a worker thread');
const config = workerData as SocketsWorkerConfig;
const post = (m: WorkerMessage): void => port.postMessage(m);

const LEVELS: readonly LogLevelName[] = ['debug', 'info', 'warn', 'error'];
const minLevel = LEVELS.indexOf(config.logLevel);
const record = (level: LogLevelName) => (obj: object, msg: string) => {
  if (LEVELS.indexOf(level) >= minLevel) post({ type: 'log', level, obj, msg });
};
const log: Log = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
const sources = await selectSocketSources(config.source, config.procfs, log);
const collector = new SocketsCollector(sources, config.limits);
post({ type: 'ready', primary: sources.primary.name, fallback: sources.fallback?.name, reportsKernelDetail: sources.primary.reportsKernelDetail });

port.on('message', (m: { type: 'collect'; id: number }) => {
  collector.collect({ procfs: config.procfs, log }).then(
    (result) => post({ type: 'result', id: m.id, result }),
    (err: unknown) => post({ type: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) }),
  );
});
