import type { CropFeed } from './cropFeed.js';
import type { Device, Provider } from './device.js';
import type { TensorData, TensorFeed, TensorInfo } from './onnxRuntime.js';

/** Messages between the main thread (InferencePool) and an inference worker. */
export type WorkerRequest =
  | { type: 'load'; id: number; key: string; model: string; device: Device; threads: number }
  /** `crops`: inputs the worker cuts from shared frames itself (cropFeed.ts), beside the ready `feeds`. */
  | { type: 'run'; id: number; key: string; feeds: Record<string, TensorFeed>; crops?: CropFeed[] }
  | { type: 'close'; id: number };

export type WorkerResponse =
  | { type: 'loaded'; id: number; provider: Provider; fallbackReason?: string; inputs: TensorInfo[]; outputs: TensorInfo[] }
  | { type: 'result'; id: number; outputs: Record<string, TensorData> }
  | { type: 'closed'; id: number }
  | { type: 'error'; id: number; name: string; message: string };
