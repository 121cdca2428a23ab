import { Worker } from 'node:worker_threads';
import type { Log } from '../model/log.js';
import type { CollectContext, Collector } from './collector.js';
import type { SocketsResult } from './socketsCollector.js';
import type { SocketsWorkerConfig, WorkerMessage } from './socketsWorker.js';

const DEFAULT_WORKER = new URL('./socketsWorker.js', import.meta.url);

export interface WorkerHeapLimits {
  maxYoungGenerationSizeMb?: number;
  maxOldGenerationSizeMb?: number;
}

/**
 * V8 heap limits for the collection worker. The kernel sources allocate nothing per socket and
 * keep well under 10 MB live, so a small young generation and a 24 MB old generation make V8
 * collect early instead of growing (measured at 1M sockets: peak RSS 94 -> 86 MB). The
 * systeminformation source builds an object per connection, so it gets no old-generation cap.
 * A worker that still runs out dies, fails that cycle, and is restarted on the next.
 */
export function workerHeapLimits(kernelSource: boolean): WorkerHeapLimits {
  return kernelSource ? { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 24 } : { maxYoungGenerationSizeMb: 2 };
}

interface Pending {
  resolve: (r: SocketsResult) => void;
  reject: (e: Error) => void;
}

/**
 * The sockets collector, run in a worker thread (see socketsWorker.ts). The poller already
 * guarantees one collection at a time; this class only relays it. A worker that dies fails the
 * collection in flight and is started again on the next cycle, not in a loop.
 */
export class OffThreadSocketsCollector implements Collector<SocketsResult> {
  readonly name = 'sockets';
  private worker: Worker | undefined;
  private ready: Promise<Extract<WorkerMessage, { type: 'ready' }>> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly config: SocketsWorkerConfig,
    private readonly log: Log,
    private readonly workerUrl: URL = DEFAULT_WORKER,
    private readonly resourceLimits: WorkerHeapLimits = { maxYoungGenerationSizeMb: 2 },
  ) {}

  /** Starts the worker and resolves with the sources it selected. */
  start(): Promise<Extract<WorkerMessage, { type: 'ready' }>> {
    if (this.ready) return this.ready;
    const worker = new Worker(this.workerUrl, { workerData: this.config, resourceLimits: this.resourceLimits });
    this.worker = worker;
    this.ready = new Promise((resolve, reject) => {
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') resolve(m);
        else if (m.type === 'log') this.log[m.level]({ ...m.obj, thread: 'sockets' }, m.msg);
        else this.settle(m);
      });
      worker.once('error', (err) => {
        reject(err);
        this.failAll(err);
      });
      worker.once('exit', (code) => {
        this.worker = undefined;
        this.ready = undefined;
        const err = new Error(`socket collection worker exited with code ${code}`);
        reject(err);
        this.failAll(err);
      });
    });
    return this.ready;
  }

  async collect(_ctx: CollectContext): Promise<SocketsResult> {
    if (this.closed) throw new Error('collector closed');
    await this.start();
    const id = this.nextId++;
    return new Promise<SocketsResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker!.postMessage({ type: 'collect', id });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.worker?.terminate();
  }

  private settle(m: Extract<WorkerMessage, { type: 'result' | 'error' }>): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.type === 'result') p.resolve(m.result as SocketsResult);
    else p.reject(new Error(m.message));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
