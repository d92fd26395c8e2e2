import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Device, Provider } from './device.js';

const require = createRequire(import.meta.url);

/** onnxruntime-node loads provider libraries from beside its binding; without them a GPU provider cannot load. */
export function providerLibraryPresent(provider: Provider): boolean {
  const root = dirname(dirname(require.resolve('onnxruntime-node')));
  const binDir = join(root, 'bin', 'napi-v6', process.platform, process.arch);
  return existsSync(join(binDir, `libonnxruntime_providers_${provider}.so`));
}

/**
 * Whether this machine shows a GPU to programs: an NVIDIA device node or a DRM render node. Without one,
 * the only Vulkan adapter would be a software rasterizer (Mesa's lavapipe), far slower than the CPU
 * provider, so `auto` does not try WebGPU.
 */
export function gpuDevicePresent(): boolean {
  if (existsSync('/dev/nvidia0')) return true;
  try {
    return readdirSync('/dev/dri').some((n) => n.startsWith('renderD'));
  } catch {
    return false;
  }
}

/** Whether a session on `device` may land on a GPU provider (`auto` only where CUDA or a GPU device node is). */
export function mayUseGpu(device: Device): boolean {
  if (device === 'cpu') return false;
  if (device !== 'auto') return true;
  return providerLibraryPresent('cuda') || gpuDevicePresent();
}
