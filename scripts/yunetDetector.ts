import { nonMaxSuppression } from '../src/detection/nonMaxSuppression.js';
import { type Detection, type Detector } from '../src/detection/detector.js';
import { resampleToTensor } from '../src/image/resampleToTensor.js';
import type { RgbImage } from '../src/image/rgbImage.js';
import type { InferencePool } from '../src/models/ort/inferencePool.js';

/**
 * YuNet (libfacedetection.train's `yunet_n_dynamic.onnx`, Apache-2.0) as a comparison candidate; the model stays in
 * ../shared. BGR 0..255, the image letterboxed into a `size` square (multiple of 32). Decoding as its
 * PROVENANCE.md gives it (mmdet yunet_head): per stride 8/16/32, box centre and size from the grid cell, score
 * sqrt(cls * obj), then NMS. It also gives five keypoints per face (not used here).
 */
export class YuNetDetector implements Detector {
  private constructor(
    private readonly pool: InferencePool,
    private readonly key: string,
    private readonly size: number,
    private readonly minScore: number,
  ) {}

  static async load(pool: InferencePool, path: string, size: number, minScore = 0.6): Promise<YuNetDetector> {
    await pool.load(path, path, 'cpu');
    return new YuNetDetector(pool, path, size, minScore);
  }

  async detect(images: RgbImage[]): Promise<Detection[][]> {
    const out: Detection[][] = [];
    for (const img of images) out.push(await this.detectOne(img));
    return out;
  }

  private async detectOne(img: RgbImage): Promise<Detection[]> {
    const s = this.size;
    const side = Math.max(img.width, img.height);
    const data = new Float32Array(3 * s * s);
    resampleToTensor(
      img,
      { x: 0, y: 0, width: side, height: side },
      { width: s, height: s, layout: 'NCHW', color: 'BGR', scale: 1, mean: [0], std: [1] },
      data,
      0,
    );
    const res = await this.pool.run(this.key, { input: { data, dims: [1, 3, s, s] } });
    const k = side / s;
    const dets: Detection[] = [];
    for (const stride of [8, 16, 32]) {
      const cols = s / stride;
      const cls = res[`cls_${stride}`].data;
      const obj = res[`obj_${stride}`].data;
      const bbox = res[`bbox_${stride}`].data;
      for (let i = 0; i < cls.length; i++) {
        const score = Math.sqrt(Math.max(0, cls[i]) * Math.max(0, obj[i]));
        if (score < this.minScore) continue;
        const gx = (i % cols) * stride;
        const gy = Math.floor(i / cols) * stride;
        const cx = gx + bbox[i * 4] * stride;
        const cy = gy + bbox[i * 4 + 1] * stride;
        const w = Math.exp(bbox[i * 4 + 2]) * stride;
        const h = Math.exp(bbox[i * 4 + 3]) * stride;
        dets.push({ score, box: { x: (cx - w / 2) * k, y: (cy - h / 2) * k, width: w * k, height: h * k } });
      }
    }
    return nonMaxSuppression(dets, 0.3);
  }
}
