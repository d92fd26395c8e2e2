import { resampleToTensor } from '../src/image/resampleToTensor.js';
import type { RgbImage } from '../src/image/rgbImage.js';
import { nonMaxSuppression } from '../src/detection/nonMaxSuppression.js';
import { type Detection } from '../src/detection/detector.js';
import type { InferencePool } from '../src/models/ort/inferencePool.js';

/** UltraFace (with its post-processing outputs) as a comparison candidate; the model stays in ../shared. */
export class UltraFaceDetector {
  private constructor(
    private readonly pool: InferencePool,
    private readonly key: string,
    private readonly w: number,
    private readonly h: number,
  ) {}

  static async load(pool: InferencePool, path: string): Promise<UltraFaceDetector> {
    const info = await pool.load(path, path, 'cpu');
    const [, , h, w] = info.inputs[0].shape as number[];
    return new UltraFaceDetector(pool, path, w, h);
  }

  async detect(img: RgbImage): Promise<Detection[]> {
    const data = new Float32Array(3 * this.w * this.h);
    resampleToTensor(
      img,
      { x: 0, y: 0, width: img.width, height: img.height },
      { width: this.w, height: this.h, layout: 'NCHW', color: 'RGB', scale: 1, mean: [127], std: [128] },
      data,
      0,
    );
    const out = await this.pool.run(this.key, { input: { data, dims: [1, 3, this.h, this.w] } });
    const n = out.scores.dims[1];
    const dets: Detection[] = [];
    for (let i = 0; i < n; i++) {
      const score = out.scores.data[i * 2 + 1];
      if (score < 0.7) continue;
      const [x1, y1, x2, y2] = out.boxes.data.subarray(i * 4, i * 4 + 4);
      dets.push({ score, box: { x: x1 * img.width, y: y1 * img.height, width: (x2 - x1) * img.width, height: (y2 - y1) * img.height } });
    }
    return nonMaxSuppression(dets, 0.3);
  }
}
