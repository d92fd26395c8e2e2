import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { cpuPlacedNodes } from './cpuPlacement.js';
import { mayUseGpu } from './gpuPresence.js';
import type { CropFeed } from './cropFeed.js';
import { DeviceUnavailableError, type Device, type Provider } from './device.js';
import type { TensorData, TensorFeed, TensorInfo } from './onnxRuntime.js';
import type { WorkerRequest, WorkerResponse } from './workerProtocol.js';

export interface LoadedModel {
  key: string;
  provider: Provider;
  fallbackReason?: string;
  /** Nodes ONNX Runtime left on the CPU under a GPU provider (its placement report); none on the CPU. */
  cpuNodes: string[];
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
  /** The models this worker holds (a replacement worker gets them back before it takes work). */
  keys: Set<string>;
  /** False while a replacement worker reloads its models. */
  ready: boolean;
  dead?: Error;
}

interface LoadRequest {
  model: string;
  device: Device;
  /** How many workers hold it (the first ones); all by default. */
  workers: number;
}

export interface LoadOptions {
  /**
   * Workers that hold this model: the first `workers` of the pool (default all). A model called rarely (the
   * face describer) need not cost every worker its memory.
   */
  workers?: number;
}

/** Crashed workers replaced at most this often in a row; past it the pool says the crash instead of looping. */
const MAX_RESTARTS = 5;

interface Waiting {
  key: string;
  feeds: Record<string, TensorFeed>;
  crops?: CropFeed[];
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
  private readonly models = new Map<string, LoadRequest>();
  private readonly placed = new Map<string, { provider: Provider; cpuNodes: string[] }>();
  private nextId = 1;
  private closed?: Promise<void>;
  private restartCount = 0;
  private lastCrash?: Error;

  constructor(options: InferencePoolOptions = {}) {
    const count = Math.max(1, options.workers ?? 1);
    this.perWorker = Math.max(1, options.perWorker ?? 2);
    this.maxQueue = Math.max(1, options.maxQueue ?? 8);
    this.threads = options.threads ?? (count > 1 ? Math.max(1, Math.floor(availableParallelism() / count)) : 0);
    this.slots = Array.from({ length: count }, () => this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./inferenceWorker.js', import.meta.url));
    const slot: Slot = { worker, inFlight: 0, pending: new Map(), keys: new Set(), ready: true };
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
      if (slot.dead) return;
      slot.dead = err;
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
      if (!this.closed) this.replace(slot, err);
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

  /**
   * Loads a model into every worker, or the first `options.workers`. Rejects with a DeviceUnavailableError-named
   * error for a GPU that cannot load.
   */
  async load(key: string, model: string, device: Device, options: LoadOptions = {}): Promise<LoadedModel> {
    const workers = Math.min(this.slots.length, Math.max(1, options.workers ?? this.slots.length));
    // A GPU session lives in one worker, which every request for it goes to: sessions of the WebGPU provider in
    // two worker threads crashed the process (SIGSEGV in Dawn, a video with --device webgpu and 2 workers),
    // and one session per thread would hold the weights and the arenas on the GPU once per thread for nothing.
    // `auto` that falls back to the CPU then loads the CPU session into the other workers too.
    this.models.set(key, { model, device, workers: mayUseGpu(device) ? 1 : workers });
    const first = mayUseGpu(device) ? await this.loadInto(this.slots[0], key) : (await Promise.all(this.slots.slice(0, workers).map((slot) => this.loadInto(slot, key))))[0];
    if (first.type !== 'loaded') throw new Error(`unexpected reply ${first.type}`);
    if (mayUseGpu(device) && first.provider === 'cpu' && workers > 1) {
      this.models.set(key, { model, device: 'cpu', workers });
      await Promise.all(this.slots.slice(1, workers).map((slot) => this.loadInto(slot, key)));
    }
    const cpuNodes = first.provider === 'cpu' ? [] : await cpuPlacedNodes(model, first.provider);
    this.placed.set(key, { provider: first.provider, cpuNodes });
    return { key, provider: first.provider, fallbackReason: first.fallbackReason, cpuNodes, inputs: first.inputs, outputs: first.outputs };
  }

  /** Each loaded model's provider and the nodes ONNX Runtime left on the CPU (cpuPlacement.ts's placementLine). */
  get placements(): ReadonlyMap<string, { provider: Provider; cpuNodes: string[] }> {
    return this.placed;
  }

  private async loadInto(slot: Slot, key: string): Promise<WorkerResponse> {
    const { model, device } = this.models.get(key)!;
    const reply = await this.request(slot, { type: 'load', id: this.nextId++, key, model, device, threads: this.threads });
    slot.keys.add(key);
    return reply;
  }

  /** Workers replaced after a crash so far; the last crash, if any. */
  get restarts(): { count: number; lastError?: string } {
    return { count: this.restartCount, lastError: this.lastCrash?.message };
  }

  /** Whether every worker is alive and holds its models (what a readiness check should say). */
  get healthy(): boolean {
    return this.slots.every((s) => !s.dead && s.ready);
  }

  /**
   * A crashed worker (out of memory in ONNX Runtime, a native fault) is replaced by a new one that loads the
   * same models before it takes work; its requests in flight have failed. After MAX_RESTARTS in a row without
   * a successful run the slot stays dead and its error is what callers get.
   */
  private replace(dead: Slot, err: Error): void {
    this.lastCrash = err;
    const at = this.slots.indexOf(dead);
    if (at < 0 || this.restartCount >= MAX_RESTARTS) return this.dispatch();
    this.restartCount++;
    const slot = this.spawn();
    slot.ready = false;
    this.slots[at] = slot;
    const keys = [...this.models.entries()].filter(([, m]) => at < m.workers).map(([k]) => k);
    void Promise.all(keys.map((k) => this.loadInto(slot, k))).then(
      () => {
        slot.ready = true;
        this.dispatch();
      },
      (loadErr: Error) => {
        slot.dead = loadErr;
        this.dispatch();
      },
    );
    this.dispatch();
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
  async runWhenRoom(key: string, feeds: Record<string, TensorFeed>, crops?: CropFeed[]): Promise<Record<string, TensorData>> {
    while (!this.hasRoom && !this.closed) await this.capacity();
    return this.run(key, feeds, crops);
  }

  /**
   * Runs `key` on the least busy worker. The feeds' buffers are transferred: do not reuse them. `crops` are
   * inputs the worker cuts from shared pixels itself (cropFeed.ts); their images must stay unchanged until
   * this settles.
   */
  run(key: string, feeds: Record<string, TensorFeed>, crops?: CropFeed[]): Promise<Record<string, TensorData>> {
    if (this.closed) return Promise.reject(new Error('inference pool is closed'));
    if (this.queue.length >= this.maxQueue) return Promise.reject(new QueueFullError(this.maxQueue));
    return new Promise((resolve, reject) => {
      this.queue.push({ key, feeds, crops, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    // Closed: what still waits fails now; nothing more is sent to workers that are releasing their sessions.
    if (this.closed) {
      for (const job of this.queue.splice(0)) job.reject(new Error('inference pool is closed'));
      return;
    }
    for (let i = 0; i < this.queue.length; ) {
      const job = this.queue[i];
      // Only workers that hold the model; a model no live worker can ever run fails now, not never.
      const holders = this.slots.filter((s) => !s.dead && (s.keys.has(job.key) || (!s.ready && this.mayHold(s, job.key))));
      if (!holders.length) {
        this.queue.splice(i, 1);
        job.reject(this.slots.find((s) => s.dead)?.dead ?? new Error(`model ${job.key} is not loaded`));
        continue;
      }
      const slot = holders.filter((s) => s.ready && s.inFlight < this.perWorker).sort((a, b) => a.inFlight - b.inFlight)[0];
      if (!slot) {
        i++; // this model's workers are busy; a later request may be for another model's free worker
        continue;
      }
      this.queue.splice(i, 1);
      slot.inFlight++;
      const transfer = [...new Set(Object.values(job.feeds).map((t) => t.data.buffer as ArrayBuffer))];
      // The slot is freed before the caller hears back, so `pending` is exact when its await resumes.
      const settle = (fn: () => void) => {
        slot.inFlight--;
        fn();
        this.dispatch();
      };
      this.request(slot, { type: 'run', id: this.nextId++, key: job.key, feeds: job.feeds, crops: job.crops }, transfer).then(
        (msg) => {
          this.restartCount = 0; // a worker that runs again ends a run of crashes
          settle(() => (msg.type === 'result' ? job.resolve(msg.outputs) : job.reject(new Error(`unexpected reply ${msg.type}`))));
        },
        (err: Error) => settle(() => job.reject(err)),
      );
    }
    // Wake one waiter per free place: waking every waiter for one place only sends the rest back to wait.
    for (let room = this.maxQueue - this.queue.length; room > 0 && this.capacityWaiters.length; room--) this.capacityWaiters.shift()!();
  }

  /** Whether a worker still reloading after a crash will hold `key`. */
  private mayHold(slot: Slot, key: string): boolean {
    const m = this.models.get(key);
    return Boolean(m) && this.slots.indexOf(slot) < m!.workers;
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
