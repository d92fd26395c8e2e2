/** Where inference runs. `auto` takes CUDA when its provider loads, else the CPU, and says which. */
export const DEVICES = ['auto', 'cpu', 'cuda', 'tensorrt'] as const;
export type Device = (typeof DEVICES)[number];

/** The execution provider a session actually got. */
export type Provider = 'cpu' | 'cuda' | 'tensorrt';

export function parseDevice(value: string): Device {
  if ((DEVICES as readonly string[]).includes(value)) return value as Device;
  throw new RangeError(`--device: expected one of ${DEVICES.join(', ')}, got "${value}"`);
}

/** How a GPU user installs what onnxruntime-node leaves out by default (see README "GPU"). */
export const GPU_INSTALL_HINT =
  'onnxruntime-node ships without its CUDA/TensorRT provider libraries; install them with ' +
  '`npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12` (needs CUDA 12 + cuDNN 9; TensorRT 10 for tensorrt), ' +
  'or use --device cpu';

/** An explicitly requested device could not be used. */
export class DeviceUnavailableError extends Error {
  constructor(
    readonly device: Device,
    reason: unknown,
  ) {
    super(`--device ${device}: the ${device.toUpperCase()} execution provider did not load (${String((reason as Error)?.message ?? reason).split('\n')[0]}). ${GPU_INSTALL_HINT}`);
    this.name = 'DeviceUnavailableError';
  }
}
