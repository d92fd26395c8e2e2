import type { InputSpec } from '../../image/inputSpec.js';
import { withMirrors } from '../../image/mirror.js';
import { resampleToTensor } from '../../image/resampleToTensor.js';
import type { Box, RgbImage } from '../../image/rgbImage.js';
import type { TensorData } from './onnxRuntime.js';

/**
 * A model input that is a batch of face crops, described instead of built: the images (frames whose pixels
 * live in shared memory), and for each face its image, region and roll. An inference worker cuts it into the
 * tensor itself, so the resampling, the main thread's largest cost per face (about 60% of its busy time with
 * four live cameras), runs on the worker threads beside the networks. The tensor is exactly the one the main
 * thread would build: the same function on the same pixels.
 */
export interface CropFeed {
  /** The model input it fills. */
  name: string;
  /** Pixels in SharedArrayBuffers: posting them to a worker shares them, it copies nothing. */
  images: RgbImage[];
  faces: { image: number; region: Box; angle: number }[];
  spec: InputSpec;
  /** The same crops mirrored follow the plain ones (test-time flip averaging): 2 views, else 1. */
  views: 1 | 2;
}

/** Whether a crop feed can be cut in a worker: every image's pixels are shared, not the main thread's own. */
export function sharesPixels(images: readonly RgbImage[]): boolean {
  return images.length > 0 && images.every((img) => img.data.buffer instanceof SharedArrayBuffer);
}

/** The tensor a crop feed describes: [views x faces, ...shape]. */
export function cutCropFeed(feed: CropFeed): TensorData {
  const { spec } = feed;
  const channels = spec.color === 'GRAY' ? 1 : 3;
  const shape = spec.layout === 'NCHW' ? [channels, spec.height, spec.width] : [spec.height, spec.width, channels];
  const size = channels * spec.width * spec.height;
  const batch = new Float32Array(size * feed.faces.length);
  feed.faces.forEach((f, i) => resampleToTensor(feed.images[f.image], f.region, spec, batch, i * size, f.angle));
  const data = feed.views === 2 ? withMirrors(batch, feed.faces.length, shape, spec.layout) : batch;
  return { data, dims: [feed.views * feed.faces.length, ...shape] };
}
