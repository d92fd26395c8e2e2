import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DeviceUnavailableError, type Device, type Provider } from './device.js';
import type { TensorData, TensorInfo } from './onnxRuntime.js';
import type { WorkerRequest, WorkerResponse } from './workerProtocol.js';

export interface LoadedModel {
  key: string;
  provider: Provider;
  fallbackReason?: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export interface InferencePoolOptions {
  /** Worker threads, each holding a session per model. Default 1. */
  workers?: number;
  /** Requests a worker holds at once (one running, the rest queued in the worker). Default 2. */
  perWorker?: number;
  /** Requests waiting on the main thread before `run()` rejects; producers `await capacity()` first. Default 8. */
  maxQueue?: number;
  /**
   * ONNX Runtime intra-op threads per session; 0 lets ORT choose (one per physical core, in every worker).
   * Default: ORT's choice for one worker; with several, the cores shared out between them so they do not
   * oversubscribe the machine. Measured on 2 cores: 2 workers of 1 thread ran 720p video at 85 frames/s,
   * of ORT's choice at 50; 1 worker scored crops at 194 images/s with ORT's choice, 141 with 2 threads.
   */
  threads?: number;
}

export class QueueFullError extends Error {
  constructor(limit: number) {
    super(`inference queue is full (${limit} waiting): await pool.capacity() before run()`);
    this.name = 'QueueFullError';
  }
}

interface Pending {
  resolve: (msg: WorkerResponse) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  inFlight: number;
  pending: Map<number, Pending>;
  dead?: Error;
}

interface Waiting {
  key: string;
  feeds: Record<string, TensorData>;
  resolve: (out: Record<string, TensorData>) => void;
  reject: (err: Error) => void;
}

/**
 * Runs ONNX models on worker threads behind a bounded queue, so the main thread stays free for I/O.
 * Backpressure is explicit: `capacity()` resolves when the queue has room, and `run()` past `maxQueue`
 * rejects instead of buffering without limit.
 */
export class InferencePool {
  private readonly slots: Slot[];
  private readonly queue: Waiting[] = [];
  private readonly capacityWaiters: (() => void)[] = [];
  private readonly perWorker: number;
  private readonly maxQueue: number;
  private readonly threads: number;
  private nextId = 1;
  private closed?: Promise<void>;

  constructor(options: InferencePoolOptions = {}) {
    const count = Math.max(1, options.workers ?? 1);
    this.perWorker = Math.max(1, options.perWorker ?? 2);
    this.maxQueue = Math.max(1, options.maxQueue ?? 8);
    this.threads = options.threads ?? (count > 1 ? Math.max(1, Math.floor(availableParallelism() / count)) : 0);
    this.slots = Array.from({ length: count }, () => this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./inferenceWorker.js', import.meta.url));
    const slot: Slot = { worker, inFlight: 0, pending: new Map() };
    worker.on('message', (msg: WorkerResponse) => {
      const p = slot.pending.get(msg.id);
      if (!p) return;
      slot.pending.delete(msg.id);
      if (msg.type === 'error') {
        const err = new Error(msg.message);
        err.name = msg.name;
        p.reject(err);
      } else p.resolve(msg);
    });
    const die = (err: Error) => {
      slot.dead = err;
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
    };
    worker.on('error', (err) => die(new Error(`inference worker crashed: ${err.message}`)));
    worker.on('exit', (code) => {
      if (!this.closed) die(new Error(`inference worker exited with code ${code}`));
    });
    return slot;
  }

  private request(slot: Slot, msg: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerResponse> {
    if (slot.dead) return Promise.reject(slot.dead);
    return new Promise((resolve, reject) => {
      slot.pending.set(msg.id, { resolve, reject });
      slot.worker.postMessage(msg, transfer);
    });
  }

  /** Loads a model into every worker. Rejects with a DeviceUnavailableError-named error for a GPU that cannot load. */
  async load(key: string, model: string, device: Device): Promise<LoadedModel> {
    const replies = await Promise.all(
      this.slots.map((slot) => this.request(slot, { type: 'load', id: this.nextId++, key, model, device, threads: this.threads })),
    );
    const first = replies[0];
    if (first.type !== 'loaded') throw new Error(`unexpected reply ${first.type}`);
    return { key, provider: first.provider, fallbackReason: first.fallbackReason, inputs: first.inputs, outputs: first.outputs };
  }

  /** Requests waiting plus running. */
  get pending(): number {
    return this.queue.length + this.slots.reduce((n, s) => n + s.inFlight, 0);
  }

  /** True when `run()` called now, in this same turn, would not reject for a full queue. */
  get hasRoom(): boolean {
    return this.queue.length < this.maxQueue;
  }

  /**
   * Resolves when the queue has room. Several producers may wake for the same room, so check `hasRoom` again
   * in the turn that calls `run()`: `while (!pool.hasRoom) await pool.capacity();`.
   */
  capacity(): Promise<void> {
    if (this.queue.length < this.maxQueue) return Promise.resolve();
    return new Promise((resolve) => this.capacityWaiters.push(resolve));
  }

  /**
   * `run()` once the queue has room. The room is checked in the turn that queues the request, so producers
   * that share the pool (pipelined batches, a fixed-batch member's one-face requests, the detector) never
   * overfill it; they wait in line instead.
   */
  async runWhenRoom(key: string, feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
    while (!this.hasRoom && !this.closed) await this.capacity();
    return this.run(key, feeds);
  }

  /** Runs `key` on the least busy worker. The feeds' buffers are transferred: do not reuse them. */
  run(key: string, feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
    if (this.closed) return Promise.reject(new Error('inference pool is closed'));
    if (this.queue.length >= this.maxQueue) return Promise.reject(new QueueFullError(this.maxQueue));
    return new Promise((resolve, reject) => {
      this.queue.push({ key, feeds, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length) {
      const slot = this.slots
        .filter((s) => !s.dead && s.inFlight < this.perWorker)
        .sort((a, b) => a.inFlight - b.inFlight)[0];
      if (!slot) {
        const alive = this.slots.some((s) => !s.dead);
        if (!alive) for (const w of this.queue.splice(0)) w.reject(this.slots[0].dead!);
        break;
      }
      const job = this.queue.shift()!;
      slot.inFlight++;
      const transfer = [...new Set(Object.values(job.feeds).map((t) => t.data.buffer as ArrayBuffer))];
      // The slot is freed before the caller hears back, so `pending` is exact when its await resumes.
      const settle = (fn: () => void) => {
        slot.inFlight--;
        fn();
        this.dispatch();
      };
      this.request(slot, { type: 'run', id: this.nextId++, key: job.key, feeds: job.feeds }, transfer).then(
        (msg) => settle(() => (msg.type === 'result' ? job.resolve(msg.outputs) : job.reject(new Error(`unexpected reply ${msg.type}`)))),
        (err: Error) => settle(() => job.reject(err)),
      );
    }
    // Wake one waiter per free place: waking every waiter for one place only sends the rest back to wait.
    for (let room = this.maxQueue - this.queue.length; room > 0 && this.capacityWaiters.length; room--) this.capacityWaiters.shift()!();
  }

  /** Releases sessions and stops the workers. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await Promise.all(
        this.slots.map(async (slot) => {
          if (!slot.dead) await this.request(slot, { type: 'close', id: this.nextId++ }).catch(() => undefined);
          await slot.worker.terminate();
        }),
      );
    })();
    return this.closed;
  }
}

/** True for the error a worker reports when an explicit GPU device cannot load. */
export function isDeviceUnavailable(err: unknown): boolean {
  return (err as Error)?.name === 'DeviceUnavailableError' || err instanceof DeviceUnavailableError;
}
