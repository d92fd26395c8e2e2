/**
 * One JS peer on one clip, in its own process (each peer brings its own TF.js setup): @vladmandic/human
 * (face detector + emotion) or @vladmandic/face-api (tiny detector + 68 landmarks + expressions), both on
 * @tensorflow/tfjs with its wasm backend, fed the same decoded frames as fer-stream. Prints one JSON line.
 *   node dist/scripts/jsPeerBench.js human|face-api <clip> [maxFrames]
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, mergeMap, toArray } from 'rxjs';
import { packageDir } from '../src/util/paths.js';
import { probeVideo } from '../src/video/probeVideo.js';
import { videoFrames, type VideoFrame } from '../src/video/videoFrames.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const [peer, clip, max] = process.argv.slice(2);
const maxFrames = Number(max ?? 60);

async function setupHuman(): Promise<(f: VideoFrame) => Promise<number>> {
  // human's wasm build loads models with fetch(), which in Node cannot read file:// URLs.
  const webFetch = globalThis.fetch;
  globalThis.fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    const href = String(url instanceof Request ? url.url : url);
    if (!href.startsWith('file://')) return webFetch(url, init);
    return new Response(readFileSync(fileURLToPath(href)));
  }) as typeof fetch;
  const { Human } = require(join(packageDir('@vladmandic/human'), 'dist', 'human.node-wasm.js'));
  const human = new Human({
    backend: 'wasm',
    wasmPath: `file://${join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist')}/`,
    modelBasePath: `file://${join(packageDir('@vladmandic/human'), 'models')}/`,
    debug: false,
    async: true,
    filter: { enabled: false },
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: 10 },
      mesh: { enabled: false },
      iris: { enabled: false },
      description: { enabled: false },
      emotion: { enabled: true },
      antispoof: { enabled: false },
      liveness: { enabled: false },
    },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
  });
  await human.load();
  await human.warmup();
  const tf = human.tf;
  return async (f) => {
    const t = tf.tensor(f.image.data, [1, f.image.height, f.image.width, 3], 'int32');
    const r = await human.detect(t);
    tf.dispose(t);
    return r.face.length;
  };
}

async function setupFaceApi(): Promise<(f: VideoFrame) => Promise<number>> {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const tf: Any = faceapi.tf;
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(`${join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist')}/`);
  await tf.setBackend('wasm');
  await tf.ready();
  const dir = join(packageDir('@vladmandic/face-api'), 'model');
  await faceapi.nets.tinyFaceDetector.loadFromDisk(dir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(dir);
  await faceapi.nets.faceExpressionNet.loadFromDisk(dir);
  const options = new faceapi.TinyFaceDetectorOptions({ inputSize: 608, scoreThreshold: 0.5 });
  return async (f) => {
    const t = tf.tensor3d(f.image.data, [f.image.height, f.image.width, 3], 'int32');
    const r = await faceapi.detectAllFaces(t, options).withFaceLandmarks().withFaceExpressions();
    tf.dispose(t);
    return r.length;
  };
}

const run = peer === 'human' ? await setupHuman() : peer === 'face-api' ? await setupFaceApi() : undefined;
if (!run) throw new Error(`unknown peer ${peer}: human or face-api`);
const info = await probeVideo(clip);
const started = performance.now();
const faces = await lastValueFrom(videoFrames(info, { maxFrames }).pipe(mergeMap(run, 1), toArray()));
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  JSON.stringify({
    peer,
    frames: faces.length,
    seconds,
    fps: faces.length / seconds,
    faces: faces.reduce((a, b) => a + b, 0) / faces.length,
  }) + '\n',
);
