import { resampleToTensor } from '../image/resampleToTensor.js';
import { shrinkToPixels, shrunkSize } from '../image/shrinkToTensor.js';
import { clipBox, iou, type RgbImage } from '../image/rgbImage.js';
import { ensureBuiltinModel } from '../models/import/modelImporter.js';
import type { InputSpec } from '../models/manifest.js';
import type { Device } from '../models/ort/device.js';
import type { InferencePool } from '../models/ort/inferencePool.js';
import { nonMaxSuppression } from './nonMaxSuppression.js';
import { type Detection, type DetectionSet, type Detector } from './detector.js';
import { decodeTinyFaceGrid, TINY_FACE_CELL } from './tinyFaceDecoder.js';

/** A face this large (fraction of the image's longer side) may come from a second, coarser input size. */
const LARGE_FACE = 0.25;

/** How much a small image (a face crop) is enlarged with a border before detection. */
const CROP_BORDER = 1.4;

export interface TinyFaceDetectorOptions {
  /**
   * Largest network input side, a multiple of 32. Larger finds smaller faces, slower. Several sizes run
   * the network at each and merge the faces: a close-up fills more than the largest anchor at 608
   * (measured: 263 of 472 frames of a close-up found at 608, 417 at 320), a crowd needs 608.
   */
  inputSize?: number | number[];
  minScore?: number;
  /**
   * Boxes scored from this up to `minScore` are weak candidates (`detectWithWeak`): in video they may
   * continue a tracked face, never start one (ByteTrack's second pass). 0.1 as in ByteTrack; measured in
   * docs/tracking.md.
   */
  weakScore?: number;
  iouThreshold?: number;
  /** Faces smaller than this (box side in image pixels) are dropped. */
  minFaceSize?: number;
}

/**
 * Face detector on face-api's Tiny Face Detector weights (chosen by measurement: see docs/detectors.md).
 * The image is letterboxed at its top-left, as face-api does (padded only to multiples of 32), so boxes map back by one scale.
 */
export class TinyFaceDetector implements Detector {
  private constructor(
    private readonly pool: InferencePool,
    private readonly key: string,
    private readonly opts: Required<Omit<TinyFaceDetectorOptions, 'inputSize'>> & { inputSizes: number[] },
  ) {}

  static async load(pool: InferencePool, device: Device, options: TinyFaceDetectorOptions = {}): Promise<TinyFaceDetector> {
    const { inputSize = 416, ...rest } = options;
    const opts = { minScore: 0.5, weakScore: 0.1, iouThreshold: 0.4, minFaceSize: 0, ...rest, inputSizes: [inputSize].flat() };
    for (const size of opts.inputSizes)
      if (!(size >= 32) || size % 32 !== 0) throw new RangeError(`detector inputSize must be a multiple of 32, got ${size}`);
    const key = 'detector/tiny-face';
    // One worker holds it: a copy at 608x608 costs about 50 MB of activations, and a second one bought no
    // speed (samples/video.mp4 43.5 vs 43.7 frames/s; --detect-every 1 26.1 vs 25.9, peak 778 vs 1110 MB;
    // live, four streams, 50 against 59 of 3,600 frames dropped and p95 62 against 68 ms, within the runs' spread).
    await pool.load(key, ensureBuiltinModel('tiny-face-detector'), device, { workers: 1 });
    return new TinyFaceDetector(pool, key, opts);
  }

  /** Detects faces in each image of a batch (one network call per input size). */
  async detect(images: RgbImage[]): Promise<Detection[][]> {
    return (await this.detectWithWeak(images)).map((set) => set.faces);
  }

  /**
   * Faces, and the weak candidates of the first input size (scored from `weakScore` to `minScore`, not
   * overlapping a face). NMS runs over both: a face is only ever suppressed by a higher score, so the faces
   * are the same as with no weak candidates at all.
   */
  async detectWithWeak(images: RgbImage[]): Promise<DetectionSet[]> {
    if (images.length === 0) return [];
    const split = (dets: Detection[]): DetectionSet => ({
      faces: dets.filter((d) => d.score >= this.opts.minScore),
      weak: dets.filter((d) => d.score < this.opts.minScore),
    });
    const [primary, ...extra] = (await Promise.all(this.opts.inputSizes.map((size) => this.detectAt(images, size)))).map((sizes) =>
      sizes.map(split),
    );
    // The first size is trusted; the others only add large faces it missed (their reason to exist), so
    // they bring no new small false positives (measured on the annotated photos).
    return images.map((img, i) => {
      const faces = [...primary[i].faces];
      const large = LARGE_FACE * Math.max(img.width, img.height);
      for (const sets of extra) {
        for (const d of sets[i].faces) {
          if (Math.max(d.box.width, d.box.height) >= large && faces.every((f) => iou(f.box, d.box) < this.opts.iouThreshold)) faces.push(d);
        }
      }
      return { faces, weak: primary[i].weak.filter((w) => faces.every((f) => iou(f.box, w.box) < this.opts.iouThreshold)) };
    });
  }

  private async detectAt(images: RgbImage[], inputSize: number): Promise<Detection[][]> {
    // Never upsample (measured: upsampling 500 px photos to 608 lost 3 of 21 faces). An image much smaller
    // than the network (a face crop) runs at about its own size on a 20% border per side, so a face that
    // fills it still fits an anchor; others are letterboxed at the top-left, as face-api does, but only to
    // the next multiple of the cell size below and right of the frame: the network is convolutional, and
    // face-api's square would spend a quarter of the work on black rows for a 4:3 camera, 42% for 16:9
    // (608x480 ran in 8.0 ms against 10.6 for 608x608, one thread; docs/detectors.md).
    const largest = Math.max(...images.map((img) => Math.max(img.width, img.height)));
    const small = largest * CROP_BORDER < inputSize;
    const s = Math.min(inputSize, Math.max(128, Math.ceil((largest * (small ? CROP_BORDER : 1)) / TINY_FACE_CELL) * TINY_FACE_CELL));
    const toCells = (v: number) => Math.min(s, Math.ceil(v / TINY_FACE_CELL) * TINY_FACE_CELL);
    const shrunk = images.map((img) => shrunkSize(img, s));
    const slot = small
      ? { width: s, height: s }
      : { width: toCells(Math.max(...shrunk.map((z) => z.width))), height: toCells(Math.max(...shrunk.map((z) => z.height))) };
    // The network takes interleaved pixels (NHWC). A frame is posted as bytes; a small image's border resample
    // is fractional, so it stays float (every value as the planar tensor held before).
    const spec: InputSpec = { width: s, height: s, layout: 'NHWC', color: 'RGB', scale: 1, mean: [0], std: [1] };
    const per = 3 * slot.width * slot.height;
    const batch = small ? new Float32Array(images.length * per) : new Uint8Array(images.length * per);
    const regions = await Promise.all(
      images.map(async (img, i) => {
        const side = Math.max(img.width, img.height) * (small ? CROP_BORDER : 1);
        if (batch instanceof Float32Array) {
          const region = { x: (img.width - side) / 2, y: (img.height - side) / 2, width: side, height: side };
          resampleToTensor(img, region, spec, batch, i * per);
          return region;
        }
        // A frame or photo larger than the network: shrunk natively, letterboxed at the top-left.
        await shrinkToPixels(img, s, batch, i * per, slot);
        return { x: 0, y: 0, width: side, height: side };
      }),
    );
    const { grid } = await this.pool.runWhenRoom(this.key, { input: { data: batch, dims: [images.length, slot.height, slot.width, 3] } });
    const [rows, cols] = [grid.dims[1], grid.dims[2]];
    const cellsPer = rows * cols * 25;
    return images.map((img, i) => {
      const r = regions[i];
      const scale = r.width / s;
      const dets = decodeTinyFaceGrid(
        grid.data.subarray(i * cellsPer, (i + 1) * cellsPer),
        rows,
        cols,
        Math.min(this.opts.weakScore, this.opts.minScore),
      ).map((d) => ({
        score: d.score,
        box: clipBox(
          { x: r.x + d.box.x * scale, y: r.y + d.box.y * scale, width: d.box.width * scale, height: d.box.height * scale },
          img.width,
          img.height,
        ),
      }));
      return nonMaxSuppression(dets, this.opts.iouThreshold).filter(
        (d) => d.box.width > 1 && d.box.height > 1 && Math.max(d.box.width, d.box.height) >= this.opts.minFaceSize,
      );
    });
  }
}
