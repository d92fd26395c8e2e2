import type { RgbImage } from '../image/rgbImage.js';
import { BLAZEFACE_INPUT_SIZE } from '../models/import/builtinModels.js';
import { ensureBuiltinModel } from '../models/import/modelImporter.js';
import type { Device } from '../models/ort/device.js';
import type { InferencePool } from '../models/ort/inferencePool.js';
import { shrinkToTensor } from '../image/shrinkToTensor.js';
import { decodeBlazeFace } from './blazeFaceDecoder.js';
import { nonMaxSuppression } from './nonMaxSuppression.js';
import { type Detection, type Detector } from './detector.js';

/**
 * BlazeFace from @vladmandic/human (MIT), imported to ONNX: 256x256 input, the image letterboxed at the
 * top-left (its aspect kept), boxes mapped back by one scale. An option for video (`--detector blazeface`):
 * it finds more real faces than the Tiny Face Detector (turned, dim, close-up) in less time, but also
 * finds faces in cartoons; see docs/detectors.md.
 */
export class BlazeFaceDetector implements Detector {
  private constructor(
    private readonly pool: InferencePool,
    private readonly minScore: number,
    private readonly iouThreshold: number,
  ) {}

  static async load(
    pool: InferencePool,
    device: Device,
    options: { minScore?: number; iouThreshold?: number } = {},
  ): Promise<BlazeFaceDetector> {
    await pool.load('detector/blazeface', ensureBuiltinModel('blazeface'), device);
    return new BlazeFaceDetector(pool, options.minScore ?? 0.5, options.iouThreshold ?? 0.3);
  }

  async detect(images: RgbImage[]): Promise<Detection[][]> {
    if (images.length === 0) return [];
    const s = BLAZEFACE_INPUT_SIZE;
    const batch = new Float32Array(images.length * 3 * s * s);
    const scales = await Promise.all(images.map((img, i) => shrinkToTensor(img, s, batch, i * 3 * s * s)));
    const out = await this.pool.runWhenRoom('detector/blazeface', { input: { data: batch, dims: [images.length, 3, s, s] } });
    return images.map((img, i) => {
      const dets = [
        ...decodeBlazeFace(
          out.scores16.data.subarray(i * 512, (i + 1) * 512),
          out.regressors16.data.subarray(i * 512 * 16, (i + 1) * 512 * 16),
          0,
          this.minScore,
        ),
        ...decodeBlazeFace(
          out.scores32.data.subarray(i * 384, (i + 1) * 384),
          out.regressors32.data.subarray(i * 384 * 16, (i + 1) * 384 * 16),
          512,
          this.minScore,
        ),
      ];
      return nonMaxSuppression(dets, this.iouThreshold)
        .map((d) => ({
          score: d.score,
          box: { x: d.box.x * scales[i], y: d.box.y * scales[i], width: d.box.width * scales[i], height: d.box.height * scales[i] },
        }))
        .filter((d) => d.box.x + d.box.width > 0 && d.box.y + d.box.height > 0 && d.box.x < img.width && d.box.y < img.height);
    });
  }
}
