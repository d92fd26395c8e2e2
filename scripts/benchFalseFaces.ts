/**
 * False faces against real ones, before and after the landmark check (detection/faceLikeness.ts):
 * - faces reported on negative material: ffmpeg's testsrc, testsrc2, smptebars and mandelbrot at four sizes,
 *   ../shared/data's no_face.mp4 and dogs.jpg;
 * - frames with a face on the shared face videos and the sample video (should not change);
 * - recall of the 43 hand-checked boxes of annotated_faces (detector box kept only if its landmarks pass).
 *   npm run bench:false-faces
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { TinyFaceDetector } from '../src/detection/tinyFaceDetector.js';
import { looksLikeFace } from '../src/detection/faceLikeness.js';
import { readDlibBoxes } from '../src/eval/dlibBoxes.js';
import { decodeImageFile } from '../src/image/decodeImage.js';
import { iou } from '../src/image/rgbImage.js';
import { DEFAULT_MANIFEST } from '../src/models/defaultManifest.js';
import { Ensemble } from '../src/models/ensemble.js';
import { loadManifest } from '../src/models/manifest.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { RAW_FRAMES, runVideoJob } from '../src/pipeline/videoJob.js';
import { PACKAGE_ROOT, SHARED_DATA } from '../src/util/paths.js';
import { ffmpegTools } from '../src/video/ffmpegBinaries.js';

const tmp = mkdtempSync(join(tmpdir(), 'fer-false-faces-'));
const negatives: string[] = [];
for (const size of ['320x240', '640x480', '1280x720', '3840x2160']) {
  for (const source of ['testsrc', 'testsrc2', 'smptebars', 'mandelbrot']) {
    const out = join(tmp, `${source}_${size}.mp4`);
    execFileSync(ffmpegTools().ffmpeg, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `${source}=size=${size}:rate=10`,
      '-t',
      '3',
      '-pix_fmt',
      'yuv420p',
      out,
    ]);
    negatives.push(out);
  }
}
negatives.push(...[join(SHARED_DATA, 'pyfeat_media', 'no_face.mp4'), join(SHARED_DATA, 'annotated_faces', 'dogs.jpg')].filter(existsSync));
const positives = [
  join(PACKAGE_ROOT, 'samples', 'video.mp4'),
  ...[
    ['pyfeat_media', 'single_face.mp4'],
    ['pyfeat_media', 'WolfgangLanger_Pexels.mp4'],
    ['pyfeat_media', 'face_noface.mov'],
    ['pyfeat_media', 'noface_face.mov'],
    ['hamilton_clip', 'short_hamilton_clip.mp4'],
  ].map((p) => join(SHARED_DATA, ...p)),
].filter(existsSync);

const pool = new InferencePool({ workers: 2 });
const ensemble = await Ensemble.load(loadManifest(DEFAULT_MANIFEST), pool, 'cpu');
const detector = await TinyFaceDetector.load(pool, 'cpu', { inputSize: [608, 320] });

async function count(path: string, rejectNonFaces: boolean) {
  const r = await runVideoJob(path, detector, ensemble, { ...RAW_FRAMES, batchSize: 16, detectEvery: 10, rejectNonFaces });
  return {
    frames: r.frames.length,
    withFace: r.frames.filter((f) => f.faces.length).length,
    faces: r.frames.reduce((n, f) => n + f.faces.length, 0),
  };
}

console.log('| clip | frames | frames with a face: before | after | faces: before | after |');
console.log('|---|---|---|---|---|---|');
for (const [kind, list] of [
  ['negative', negatives],
  ['face video', positives],
] as const) {
  for (const path of list) {
    const [before, after] = [await count(path, false), await count(path, true)];
    console.log(
      `| ${kind}: ${basename(path)} | ${before.frames} | ${before.withFace} | ${after.withFace} | ${before.faces} | ${after.faces} |`,
    );
  }
}

// Recall: each detector box is a new face, so it must pass the first-sight limits.
const dir = join(SHARED_DATA, 'annotated_faces');
if (existsSync(dir)) {
  const truth = new Map([...readDlibBoxes(join(dir, 'training.xml')), ...readDlibBoxes(join(dir, 'testing.xml'))]);
  let total = 0,
    before = 0,
    after = 0,
    dets = 0,
    kept = 0;
  for (const [file, boxes] of truth) {
    const image = await decodeImageFile(join(dir, file));
    const found = (await detector.detect([image]))[0];
    const preds = await ensemble.predict(found.map((d) => ({ image, box: d.box })));
    const keep = found.map((d, i) => !preds[i].landmarks || looksLikeFace(preds[i].landmarks!, d.box, true));
    dets += found.length;
    kept += keep.filter(Boolean).length;
    for (const b of boxes) {
      if (Math.max(b.width, b.height) < 40) continue;
      total++;
      const hit = found.map((d, i) => (iou(d.box, b) >= 0.4 ? i : -1)).filter((i) => i >= 0);
      if (hit.length) before++;
      if (hit.some((i) => keep[i])) after++;
    }
  }
  console.log(
    `\nannotated_faces recall (boxes >= 40 px, IoU >= 0.4): before ${before}/${total}, after ${after}/${total}; detections kept ${kept}/${dets}`,
  );
}
await pool.close();
rmSync(tmp, { recursive: true, force: true });
