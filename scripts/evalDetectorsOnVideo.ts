/**
 * Each detector alone on every frame of the shared videos: frames with a face, faces found, ms per frame.
 * A face-present video should have a face in every frame; no_face.mp4 (animation) in none.
 *   npm run bench:detectors:video
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { bufferCount, concatMap, lastValueFrom, toArray } from 'rxjs';
import { BlazeFaceDetector } from '../src/detection/blazeFaceDetector.js';
import { TinyFaceDetector } from '../src/detection/tinyFaceDetector.js';
import type { Detector } from '../src/detection/detector.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { SHARED_DATA } from '../src/util/paths.js';
import { probeVideo } from '../src/video/probeVideo.js';
import { videoFrames } from '../src/video/videoFrames.js';
import { YuNetDetector } from './yunetDetector.js';

const videos = [
  ['pyfeat_media', 'WolfgangLanger_Pexels.mp4'],
  ['hamilton_clip', 'short_hamilton_clip.mp4'],
  ['pyfeat_media', 'noface_face.mov'],
  ['pyfeat_media', 'no_face.mp4'],
]
  .map((p) => join(SHARED_DATA, ...p))
  .filter(existsSync);

const pool = new InferencePool({ workers: 1 });
const detectors: [string, Detector][] = [
  ['tiny 608+320 (default)', await TinyFaceDetector.load(pool, 'cpu', { inputSize: [608, 320] })],
  ['blazeface, score >= 0.5', await BlazeFaceDetector.load(pool, 'cpu', { minScore: 0.5 })],
];
const yunet = join(SHARED_DATA, 'model_yunet', 'yunet_n_dynamic.onnx');
if (existsSync(yunet)) detectors.push(['yunet_n@640, score >= 0.6 (shared)', await YuNetDetector.load(pool, yunet, 640)]);
console.log(
  `| video | frames | ${detectors.map(([n]) => `${n}: frames with a face / faces / most in a frame / ms per frame`).join(' | ')} |`,
);
console.log(`|---|---|${detectors.map(() => '---|').join('')}`);
for (const path of videos) {
  const info = await probeVideo(path);
  const cells: string[] = [];
  let frames = 0;
  for (const [, detector] of detectors) {
    let withFace = 0,
      faces = 0,
      most = 0;
    frames = 0;
    const t = performance.now();
    await lastValueFrom(
      videoFrames(info).pipe(
        bufferCount(8),
        concatMap(async (batch) => {
          for (const found of await detector.detect(batch.map((f) => f.image))) {
            frames++;
            if (found.length) withFace++;
            faces += found.length;
            most = Math.max(most, found.length);
          }
        }),
        toArray(),
      ),
    );
    cells.push(`${withFace} / ${faces} / ${most} / ${((performance.now() - t) / frames).toFixed(1)}`);
  }
  console.log(`| ${basename(path)} | ${frames} | ${cells.join(' | ')} |`);
}
await pool.close();
