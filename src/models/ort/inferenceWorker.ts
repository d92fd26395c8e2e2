import { parentPort } from 'node:worker_threads';
import { cutCropFeed } from './cropFeed.js';
import { loadSession, type LoadedSession } from './onnxRuntime.js';
import type { WorkerRequest, WorkerResponse } from './workerProtocol.js';

/** Worker-thread side of InferencePool: owns the ONNX Runtime sessions, so run() never blocks the main thread. */
const sessions = new Map<string, LoadedSession>();
const port = parentPort!;
// Runs still in ONNX Runtime: a session released under a running run() aborts the process natively.
const running = new Set<Promise<unknown>>();
// Set by 'close': a run that arrives after it would start on a session about to be released.
let closing = false;

function reply(msg: WorkerResponse, transfer: ArrayBuffer[] = []) {
  port.postMessage(msg, transfer);
}

port.on('message', async (msg: WorkerRequest) => {
  try {
    if (msg.type === 'load') {
      const s = await loadSession(msg.model, msg.device, msg.threads);
      sessions.set(msg.key, s);
      reply({ type: 'loaded', id: msg.id, provider: s.provider, fallbackReason: s.fallbackReason, inputs: s.inputs, outputs: s.outputs });
    } else if (msg.type === 'run') {
      if (closing) throw new Error('inference pool is closed');
      const s = sessions.get(msg.key);
      if (!s) throw new Error(`model ${msg.key} is not loaded in this worker`);
      const feeds = { ...msg.feeds };
      for (const crop of msg.crops ?? []) feeds[crop.name] = cutCropFeed(crop);
      const run = s.run(feeds);
      running.add(run);
      const outputs = await run.finally(() => running.delete(run));
      // Copy out of ORT-owned memory so the buffers can be transferred without a second copy.
      const owned: Record<string, { data: Float32Array; dims: number[] }> = {};
      for (const [name, t] of Object.entries(outputs)) owned[name] = { data: Float32Array.from(t.data), dims: t.dims };
      reply({ type: 'result', id: msg.id, outputs: owned }, Object.values(owned).map((t) => t.data.buffer as ArrayBuffer));
    } else if (msg.type === 'close') {
      closing = true;
      await Promise.allSettled([...running]);
      await Promise.all([...sessions.values()].map((s) => s.release()));
      sessions.clear();
      reply({ type: 'closed', id: msg.id });
    }
  } catch (err) {
    const e = err as Error;
    reply({ type: 'error', id: msg.id, name: e.name ?? 'Error', message: e.message ?? String(err) });
  }
});
