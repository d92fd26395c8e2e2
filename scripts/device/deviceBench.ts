/**
 * The one-run GPU measurement (issue #23), run on the lent machine by scripts/device/run.sh from the pack that
 * scripts/device/pack.sh makes here, and rehearsed here on Mesa's lavapipe with `--small`:
 *   - faces/s of the default and accurate ensembles at batch 1, 16, 64, 256, 1024, on the device and on the CPU;
 *   - detector frames/s at 640x480 and 1280x720;
 *   - end-to-end frames/s of 1, 4 and 16 videos at once (one shared pool, runVideoJob as file mode runs it);
 *   - parity: the device's labels against the CPU's on every frame of one video.
 * Everything is printed as Markdown tables as it is measured, so a run cut short still reports what it did.
 *   node dist/scripts/device/deviceBench.js [--device webgpu] [--small] [--seconds 4] [--cpu-threads 16]
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { TinyFaceDetector } from '../../src/detection/tinyFaceDetector.js';
import { DEFAULT_MANIFEST } from '../../src/models/defaultManifest.js';
import { Ensemble, type FaceInput } from '../../src/models/ensemble.js';
import { loadManifest } from '../../src/models/manifest.js';
import { parseDevice, type Device } from '../../src/models/ort/device.js';
import { InferencePool } from '../../src/models/ort/inferencePool.js';
import { lsdIndex } from '../../src/models/labels.js';
import { RAW_FRAMES, runVideoJob } from '../../src/pipeline/videoJob.js';
import type { VideoInfo } from '../../src/video/probeVideo.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

const { values } = parseArgs({
  options: {
    device: { type: 'string', default: 'webgpu' },
    /** models: ensembles and detector; video: end to end and parity (needs ffmpeg); all: both (here). */
    part: { type: 'string', default: 'all' },
    small: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    'cpu-threads': { type: 'string' },
    video: { type: 'string' },
    /** The video's facts as probeVideo gives them (path relative to the package), for a machine without ffprobe. */
    'video-info': { type: 'string' },
  },
});
const device = parseDevice(values.device!);
const part = values.part!;
if (!['models', 'video', 'all'].includes(part)) throw new RangeError(`--part: expected models, video or all, got "${part}"`);
const small = values.small!;
const seconds = Number(values.seconds ?? (small ? 1 : 4));
const batches = small ? [1, 4] : [1, 16, 64, 256, 1024];
const videoCounts = small ? [1, 2] : [1, 4, 16];
const maxFrames = small ? 24 : 300;
const cpuThreads = Number(values['cpu-threads'] ?? cpus().length);
const videoInfo = values['video-info'] ? (JSON.parse(readFileSync(values['video-info'], 'utf8')) as VideoInfo) : undefined;
const video: string | VideoInfo = videoInfo
  ? { ...videoInfo, path: join(PACKAGE_ROOT, videoInfo.path) }
  : (values.video ?? join(PACKAGE_ROOT, 'samples', 'video.mp4'));
const videoName = basename(typeof video === 'string' ? video : video.path);

/** A grey-gradient 112x112 face-sized picture per face: the ensembles' cost does not depend on the pixels. */
function faces(n: number): FaceInput[] {
  const size = 112;
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 256;
  const image = { width: size, height: size, data };
  return Array.from({ length: n }, () => ({ image, box: { x: 0, y: 0, width: size, height: size }, angle: 0 }));
}

async function rate(work: () => Promise<number>): Promise<number> {
  await work(); // warm-up (shader compilation, arenas)
  let items = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) items += await work();
  return (items * 1000) / (performance.now() - started);
}

function pools(d: Device): InferencePool {
  // The device: one worker, two requests in flight (one session on the GPU). The CPU: one thread per core.
  return d === 'cpu'
    ? new InferencePool({ workers: Math.max(1, Math.floor(cpuThreads / 2)) })
    : new InferencePool({ workers: 1, perWorker: 2 });
}

console.log(`# fer-stream on ${device} vs cpu (${cpuThreads} CPU threads)${small ? ', small rehearsal sizes' : ''}, part ${part}\n`);

if (part !== 'video') await measureModels();
if (part !== 'models') await measureVideo();

async function measureModels(): Promise<void> {
  console.log('## Ensembles: faces/s (crops made, every member run, soft vote)\n');
  console.log(`| ensemble | device | ${batches.map((b) => `batch ${b}`).join(' | ')} |`);
  console.log(`|---|---|${batches.map(() => '---').join('|')}|`);
  for (const manifest of [DEFAULT_MANIFEST, join(PACKAGE_ROOT, 'config', 'accurate-ensemble.json')]) {
    for (const d of [device, 'cpu' as const]) {
      const pool = pools(d);
      try {
        const ensemble = await Ensemble.load(loadManifest(manifest), pool, d);
        const cells: string[] = [];
        for (const b of batches) {
          const input = faces(b);
          cells.push((await rate(async () => (await ensemble.predict(input)).length)).toFixed(0));
        }
        console.log(`| ${loadManifest(manifest).name} | ${Object.values(ensemble.providers).join('/')} | ${cells.join(' | ')} |`);
      } finally {
        await pool.close();
      }
    }
  }

  console.log('\n## Detector (tiny face detector): frames/s\n');
  console.log('| device | 640x480 | 1280x720 |');
  console.log('|---|---|---|');
  for (const d of [device, 'cpu' as const]) {
    const pool = pools(d);
    try {
      const detector = await TinyFaceDetector.load(pool, d, { inputSize: [608, 320] });
      const cells: string[] = [];
      for (const [w, h] of [
        [640, 480],
        [1280, 720],
      ]) {
        const image = { width: w, height: h, data: new Uint8Array(w * h * 3).map((_, i) => (i * 31) % 256) };
        cells.push((await rate(async () => (await detector.detect([image, image, image, image])).length)).toFixed(1));
      }
      console.log(`| ${d} | ${cells.join(' | ')} |`);
    } finally {
      await pool.close();
    }
  }
}

async function measureVideo(): Promise<void> {
  console.log(`\n## End to end: ${videoName}, ${maxFrames} frames each, videos at once on one pool\n`);
  console.log(`| device | ${videoCounts.map((n) => `${n} video(s): frames/s in all`).join(' | ')} |`);
  console.log(`|---|${videoCounts.map(() => '---').join('|')}|`);
  const labelsOn: Record<string, number[]> = {};
  for (const d of [device, 'cpu' as const]) {
    const pool = pools(d);
    try {
      const ensemble = await Ensemble.load(loadManifest(DEFAULT_MANIFEST), pool, d);
      const detector = await TinyFaceDetector.load(pool, d, { inputSize: [608, 320] });
      const cells: string[] = [];
      for (const n of videoCounts) {
        const started = performance.now();
        const results = await Promise.all(
          Array.from({ length: n }, () =>
            runVideoJob(video, detector, ensemble, { ...RAW_FRAMES, batchSize: 16, detectEvery: 10, maxFrames }),
          ),
        );
        const frames = results.reduce((a, r) => a + r.frames.length, 0);
        cells.push(((frames * 1000) / (performance.now() - started)).toFixed(1));
        labelsOn[d] ??= results[0].frames.map((f) => (f.faces[0] ? lsdIndex(f.faces[0].probs) : -1));
      }
      console.log(`| ${Object.values(ensemble.providers).join('/')} | ${cells.join(' | ')} |`);
    } finally {
      await pool.close();
    }
  }
  const a = labelsOn[device];
  const b = labelsOn.cpu;
  const same = a.filter((l, i) => l === b[i]).length;
  console.log(
    `\nParity: the first face's label on ${same} of ${a.length} frames the same as the CPU's (${((100 * same) / a.length).toFixed(1)}%).`,
  );
}
