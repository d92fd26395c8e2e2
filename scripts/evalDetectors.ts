/**
 * Detector choice by measurement: recall/precision on ../shared/data/annotated_faces (43 dlib boxes) and
 * false positives on dogs.jpg, for each candidate. `npm run bench:detectors`
 */
import { join } from 'node:path';
import { BlazeFaceDetector } from '../src/detection/blazeFaceDetector.js';
import { TinyFaceDetector } from '../src/detection/tinyFaceDetector.js';
import type { Detection } from '../src/detection/detector.js';
import { decodeImageFile } from '../src/image/decodeImage.js';
import { iou, type Box, type RgbImage } from '../src/image/rgbImage.js';
import { readDlibBoxes } from '../src/eval/dlibBoxes.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { SHARED_DATA } from '../src/util/paths.js';
import { UltraFaceDetector } from './ultraFaceDetector.js';
import { YuNetDetector } from './yunetDetector.js';

const dir = join(SHARED_DATA, 'annotated_faces');
const truth = new Map([...readDlibBoxes(join(dir, 'training.xml')), ...readDlibBoxes(join(dir, 'testing.xml'))]);
const images = new Map<string, RgbImage>();
for (const f of [...truth.keys(), 'dogs.jpg']) images.set(f, await decodeImageFile(join(dir, f)));

interface Candidate {
  name: string;
  detect: (img: RgbImage) => Promise<Detection[]>;
}

const pool = new InferencePool({ workers: 1 });
const candidates: Candidate[] = [];
for (const inputSize of [416, 608, 800, [608, 320], [416, 320]]) {
  const d = await TinyFaceDetector.load(pool, 'cpu', { inputSize, minScore: 0.5 });
  candidates.push({
    name: `tiny-face-detector@${[inputSize].flat().join('+')} (face-api, MIT, npm)`,
    detect: async (img) => (await d.detect([img]))[0],
  });
}
for (const minScore of [0.5, 0.75]) {
  const d = await BlazeFaceDetector.load(pool, 'cpu', { minScore });
  candidates.push({ name: `blazeface@256, score >= ${minScore} (human, MIT, npm)`, detect: async (img) => (await d.detect([img]))[0] });
}
for (const size of [320, 640]) {
  const d = await YuNetDetector.load(pool, join(SHARED_DATA, 'model_yunet', 'yunet_n_dynamic.onnx'), size);
  candidates.push({ name: `yunet_n@${size}, score >= 0.6 (shared, Apache-2.0)`, detect: async (img) => (await d.detect([img]))[0] });
}
for (const model of ['version-RFB-320.onnx', 'version-RFB-640.onnx']) {
  const d = await UltraFaceDetector.load(pool, join(SHARED_DATA, 'model_ultraface', model));
  candidates.push({ name: `ultraface ${model} (shared, comparison only)`, detect: (img) => d.detect(img) });
}

const MIN_FACE = 40;
console.log('| detector | recall (>=40 px, IoU>=0.4) | precision | faces in dogs.jpg | ms/image |');
console.log('|---|---|---|---|---|');
for (const c of candidates) {
  let found = 0,
    total = 0,
    tp = 0,
    dets = 0,
    ms = 0;
  for (const [file, boxes] of truth) {
    const img = images.get(file)!;
    const t = performance.now();
    const got = await c.detect(img);
    ms += performance.now() - t;
    dets += got.length;
    const matched = new Set<number>();
    for (const d of got) {
      const j = bestMatch(d.box, boxes, matched);
      if (j >= 0) {
        matched.add(j);
        tp++;
      }
    }
    for (const [j, b] of boxes.entries()) {
      if (Math.max(b.width, b.height) < MIN_FACE) continue;
      total++;
      if (matched.has(j)) found++;
    }
  }
  const dogs = (await c.detect(images.get('dogs.jpg')!)).length;
  console.log(
    `| ${c.name} | ${found}/${total} = ${((100 * found) / total).toFixed(1)}% | ${tp}/${dets} = ${((100 * tp) / Math.max(1, dets)).toFixed(1)}% | ${dogs} | ${(ms / truth.size).toFixed(1)} |`,
  );
}
await pool.close();

function bestMatch(box: Box, boxes: Box[], taken: Set<number>): number {
  let best = -1,
    bestIou = 0.4;
  boxes.forEach((b, j) => {
    const v = iou(box, b);
    if (!taken.has(j) && v >= bestIou) {
      best = j;
      bestIou = v;
    }
  });
  return best;
}
