import * as ort from 'onnxruntime-node';
import { DeviceUnavailableError, type Device, type Provider } from './device.js';
import { gpuDevicePresent, providerLibraryPresent } from './gpuPresence.js';

/**
 * The one module that talks to ONNX Runtime. Everything else passes plain typed arrays.
 * `run()` blocks the calling thread, so only the inference worker imports this file.
 */

export interface TensorData {
  data: Float32Array;
  dims: number[];
}

/**
 * A model input as posted to an inference worker: float32, or bytes (pixels as decoded) that the worker widens
 * to float32 for a float input, so that a frame crosses the thread boundary at a quarter of the size.
 */
export interface TensorFeed {
  data: Float32Array | Uint8Array;
  dims: number[];
}

export interface TensorInfo {
  name: string;
  shape: (number | string)[];
}

export interface LoadedSession {
  provider: Provider;
  /** Why `auto` did not take a GPU, when it did not. */
  fallbackReason?: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  run(feeds: Record<string, TensorFeed>): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

/** An explicitly requested provider: a failure says what is missing, never falls back. */
async function explicitly(device: Device, open: () => Promise<ort.InferenceSession>): Promise<ort.InferenceSession> {
  try {
    return await open();
  } catch (err) {
    // ORT's message starts with its source file and the failed check; what matters is after it.
    const message = String((err as Error).message ?? err);
    const adapter = /Failed to get a WebGPU adapter: (.*)/.exec(message);
    throw new DeviceUnavailableError(device, adapter ? `no WebGPU adapter: ${adapter[1]}` : err);
  }
}

function tensorInfo(meta: readonly ort.InferenceSession.ValueMetadata[] | undefined, names: readonly string[]): TensorInfo[] {
  return names.map((name, i) => {
    const m = meta?.[i] as { isTensor?: boolean; shape?: (number | string)[] } | undefined;
    return { name, shape: m?.isTensor && m.shape ? [...m.shape] : [] };
  });
}

async function create(model: string | Uint8Array, provider: Provider, threads: number): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
    // ORT's pool threads spin while waiting for work by default, taking CPU from the main thread, which
    // decodes and crops the next faces meanwhile: crop scoring 307 -> 324-338 images/s on 2 cores without it.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    // The memory planner keeps one pre-sized block per input shape it has seen, and batches of faces come in
    // every size from 1 to the batch: off, crop scoring peaked at 395 MB instead of 486 at the same speed
    // (242 vs 234 images/s), video 566 instead of 616 (samples/video.mp4, 2 workers).
    enableMemPattern: false,
  };
  return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}

/**
 * Opens a session on the requested device. `auto` tries CUDA when its provider library is installed and
 * falls back to the CPU, recording why; `cuda`/`tensorrt` fail with how to install the provider.
 */
export async function loadSession(model: string | Uint8Array, device: Device, threads = 0): Promise<LoadedSession> {
  let session: ort.InferenceSession | undefined;
  let provider: Provider = 'cpu';
  let fallbackReason: string | undefined;
  if (device === 'cpu') {
    session = await create(model, 'cpu', threads);
  } else if (device === 'cuda' || device === 'tensorrt') {
    if (!providerLibraryPresent(device)) throw new DeviceUnavailableError(device, `libonnxruntime_providers_${device}.so is not installed`);
    session = await explicitly(device, () => create(model, device, threads));
    provider = device;
  } else if (device === 'webgpu') {
    session = await explicitly(device, () => create(model, 'webgpu', threads));
    provider = 'webgpu';
  } else {
    // auto: CUDA where installed, then WebGPU where a GPU is, then the CPU; the first fallback's reason is kept.
    const reasons: string[] = [];
    for (const candidate of ['cuda', 'webgpu'] as const) {
      const missing = candidate === 'cuda' ? !providerLibraryPresent('cuda') && 'CUDA provider not installed' : !gpuDevicePresent() && 'no GPU device node for WebGPU';
      if (missing) {
        reasons.push(missing);
        continue;
      }
      try {
        session = await create(model, candidate, threads);
        provider = candidate;
        break;
      } catch (err) {
        reasons.push(`${candidate === 'cuda' ? 'CUDA' : 'WebGPU'} provider failed to load: ${String((err as Error).message).split('\n')[0]}`);
      }
    }
    session ??= await create(model, 'cpu', threads);
    if (provider === 'cpu') fallbackReason = reasons.join('; ');
  }
  return {
    provider,
    fallbackReason,
    inputs: tensorInfo(session.inputMetadata, session.inputNames),
    outputs: tensorInfo(session.outputMetadata, session.outputNames),
    async run(feeds) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds))
        ortFeeds[name] = new ort.Tensor('float32', t.data instanceof Uint8Array ? new Float32Array(t.data) : t.data, t.dims);
      const results = await session.run(ortFeeds);
      const out: Record<string, TensorData> = {};
      for (const [name, t] of Object.entries(results)) {
        out[name] = { data: t.data as Float32Array, dims: [...t.dims] };
        t.dispose();
      }
      return out;
    },
    release: () => session.release(),
  };
}
