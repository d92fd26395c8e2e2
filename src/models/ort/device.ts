/**
 * Where inference runs. `auto` tries, in order, CUDA where the user installed ORT's CUDA provider, WebGPU
 * where this machine has a GPU device node (/dev/nvidia*, /dev/dri/renderD*), then the CPU, and says which.
 * `webgpu` is ONNX Runtime's bundled WebGPU provider (Dawn on Vulkan): any GPU with a Vulkan driver.
 */
export const DEVICES = ['auto', 'cpu', 'cuda', 'tensorrt', 'webgpu'] as const;
export type Device = (typeof DEVICES)[number];

/** The execution provider a session actually got. */
export type Provider = 'cpu' | 'cuda' | 'tensorrt' | 'webgpu';

export function parseDevice(value: string): Device {
  if ((DEVICES as readonly string[]).includes(value)) return value as Device;
  throw new RangeError(`--device: expected one of ${DEVICES.join(', ')}, got "${value}"`);
}

/** How a GPU user installs what onnxruntime-node leaves out by default (see docs/usage.md "GPU"). */
export const GPU_INSTALL_HINT =
  'onnxruntime-node ships without its CUDA/TensorRT provider libraries; install them with ' +
  '`npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12` (needs CUDA 12 + cuDNN 9; TensorRT 10 for tensorrt), ' +
  'or use --device cpu';

/** What --device webgpu needs: a Vulkan driver Dawn accepts (Mesa 22.3's lavapipe is too old; 25 works). */
export const WEBGPU_INSTALL_HINT =
  'the WebGPU provider needs a Vulkan driver: the GPU vendor\'s (NVIDIA, AMD, Intel) or Mesa\'s (apt: mesa-vulkan-drivers; ' +
  'Debian 12 needs it from bookworm-backports); or use --device cpu';

/** An explicitly requested device could not be used. */
export class DeviceUnavailableError extends Error {
  constructor(
    readonly device: Device,
    reason: unknown,
  ) {
    super(
      `--device ${device}: the ${device.toUpperCase()} execution provider did not load (${String((reason as Error)?.message ?? reason).split('\n')[0]}). ${device === 'webgpu' ? WEBGPU_INSTALL_HINT : GPU_INSTALL_HINT}`,
    );
    this.name = 'DeviceUnavailableError';
  }
}
