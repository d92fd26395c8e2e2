#!/usr/bin/env node
import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { FaceDetector } from '../detection/faceDetector.js';
import { evaluatePredictions, readGroundTruth, readPredictions } from '../eval/evaluatePredictions.js';
import { formatReport } from '../eval/metrics.js';
import { DEFAULT_MANIFEST } from '../models/defaultManifest.js';
import { Ensemble } from '../models/ensemble.js';
import { ensureAllBuiltinModels } from '../models/import/modelImporter.js';
import { loadManifest, ManifestError } from '../models/manifest.js';
import { parseDevice, type Device } from '../models/ort/device.js';
import { InferencePool, isDeviceUnavailable } from '../models/ort/inferencePool.js';
import { InputError, listFaceCrops } from '../pipeline/faceCropSource.js';
import { classifyInput } from '../pipeline/inputKind.js';
import { scoreFaceCrops } from '../pipeline/scoreFaceCrops.js';
import { FACE_MODES } from '../pipeline/selectFaces.js';
import { VIDEO_FORMATS, videoFormatFor } from '../sinks/writeVideoOutputs.js';
import { probeVideo, type VideoInfo } from '../video/probeVideo.js';
import { scoreVideoFiles } from './scoreVideoFiles.js';
import { CROP_FORMATS, writeCropPredictions, type CropFormat } from '../sinks/faceCropSinks.js';

const HELP = `fer-stream — facial expression labels from a bagged ensemble of multi-task networks

Usage:
  fer-stream --input <video | folder of videos> --out <file | folder> [options]   label every frame's faces
  fer-stream --input <folder | release list> --out <file> [options]   score face crops (ABAW4 LSD)
  fer-stream eval --pred <file> --labels <class-folder tree | labels file> [--json]
  fer-stream models                                                    import the built-in ONNX models now

Video options:
  --format abaw-expr|abaw-expr-single|csv|jsonl
                          default from --out: .csv -> csv, .jsonl -> jsonl, else abaw-expr (one
                          <video>.txt per face: header, then one label per frame, -1 = no face)
  --faces main|all|left-right   which faces to report (default main; csv/jsonl default all)
  --smooth <frames>       centred moving average of each face's probabilities (default 1 = off)
  --fill none|interpolate frames without a face: -1 (default) or interpolated from the nearest faces
  --landmarks             csv/jsonl: add the 68 landmarks of each face
  --detect-every <n>      run the detector every n frames and follow faces by their landmarks in
                          between (default 10); 1 = detector on every frame
  --detector tiny|blazeface   face detector (default tiny: face-api's Tiny Face Detector). blazeface
                          (human's BlazeFace) finds more turned, dim and close-up faces, faster, but
                          also finds faces in cartoons; see docs/detectors.md
  --detector-size <px>[,<px>]   tiny detector input sizes, multiples of 32 (default 608,320: the
                          first finds small faces, the second adds close-ups too large for it)

Face crop options:
  --format abaw-lsd|csv   output format (default: from --out: .csv -> csv, else abaw-lsd)
  --detect                run the face detector and score the largest face (default: inputs are crops)

Common options:
  --manifest <file>       ensemble manifest, JSON or YAML (default: config/default-ensemble.json)
  --device auto|cpu|cuda|tensorrt   execution provider (default auto: CUDA if installed, else CPU)
  --batch <n>             faces per inference batch (default 32)
  --workers <n>           inference worker threads (default 2 for video, 1 for crops)
  --quiet                 no progress on stderr

Examples:
  fer-stream --input video.mp4 --out preds.txt
  fer-stream --input test_videos/ --out predictions/ --faces left-right --smooth 15
  fer-stream --input video.mp4 --out faces.csv --landmarks
  fer-stream --input samples/crops --out preds.txt
  fer-stream --input test_set/release.txt --format abaw-lsd --out preds.txt
  fer-stream --input validation_set_real_images --format csv --out val.csv
  fer-stream eval --pred preds.txt --labels validation_set_real_images

Exit codes: 0 success, 1 failed (bad input, model or device), 2 usage error.`;

class UsageError extends Error {}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name}: expected a positive integer, got "${value}"`);
  return n;
}

async function score(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      input: { type: 'string', short: 'i' },
      out: { type: 'string', short: 'o' },
      format: { type: 'string', short: 'f' },
      manifest: { type: 'string', short: 'm' },
      device: { type: 'string', default: 'auto' },
      batch: { type: 'string' },
      workers: { type: 'string' },
      detect: { type: 'boolean', default: false },
      faces: { type: 'string' },
      smooth: { type: 'string' },
      fill: { type: 'string' },
      landmarks: { type: 'boolean', default: false },
      'detect-every': { type: 'string' },
      'detector-size': { type: 'string' },
      detector: { type: 'string' },
      quiet: { type: 'boolean', short: 'q', default: false },
    },
  });
  if (!values.input) throw new UsageError('--input is required');
  if (!values.out) throw new UsageError('--out is required');
  const input = classifyInput(values.input);
  if (input.kind !== 'crops') return scoreVideoInput(input.kind === 'video' ? [input.path] : input.paths, values as VideoArgs);
  for (const flag of ['faces', 'smooth', 'fill', 'detect-every', 'detector-size', 'detector'] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} applies to video input; ${values.input} holds face crops`);
  }
  const format = (values.format ?? (extname(values.out).toLowerCase() === '.csv' ? 'csv' : 'abaw-lsd')) as CropFormat;
  if (!CROP_FORMATS.includes(format)) throw new UsageError(`--format: expected one of ${CROP_FORMATS.join(', ')}, got "${values.format}"`);
  const device = deviceArg(values.device);
  const batchSize = positiveInt('batch', values.batch, 32);
  const workers = positiveInt('workers', values.workers, 1);
  refuseFolder(values.out);

  const items = listFaceCrops(values.input);
  const manifest = loadManifest(values.manifest ?? DEFAULT_MANIFEST);
  const pool = new InferencePool({ workers, maxQueue: 8 });
  try {
    const ensemble = await Ensemble.load(manifest, pool, device);
    const providers = [...new Set(Object.values(ensemble.providers))].join(', ');
    const detector = values.detect ? await FaceDetector.load(pool, device, { inputSize: 608 }) : undefined;
    const log = (s: string) => values.quiet || process.stderr.write(s);
    log(`fer-stream: ${items.length} image(s), ensemble "${manifest.name}" (${manifest.members.map((m) => m.name).join(' + ')}) on ${providers}\n`);
    const tty = process.stderr.isTTY;
    const started = performance.now();
    const results = await scoreFaceCrops(items, ensemble, {
      batchSize,
      detector,
      onProgress: tty && !values.quiet ? (d, n) => process.stderr.write(`\r${d}/${n}`) : undefined,
    });
    if (tty && !values.quiet) process.stderr.write('\n');
    writeCropPredictions(values.out, format, results);
    const secs = (performance.now() - started) / 1000;
    const noFace = detector ? results.filter((r) => !r.box).length : 0;
    log(`fer-stream: wrote ${results.length} prediction(s) to ${values.out} (${format}) in ${secs.toFixed(1)} s, ${(results.length / secs).toFixed(1)} images/s${detector ? `; no face found in ${noFace} (whole image scored)` : ''}\n`);
  } finally {
    await pool.close();
  }
}

function deviceArg(value: string): Device {
  try {
    return parseDevice(value);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function refuseFolder(out: string): void {
  try {
    if (statSync(out).isDirectory()) throw new InputError(`--out ${out} is a folder; give a file name`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

interface VideoArgs {
  input: string;
  out: string;
  format?: string;
  manifest?: string;
  device: string;
  batch?: string;
  workers?: string;
  faces?: string;
  smooth?: string;
  fill?: string;
  landmarks: boolean;
  'detect-every'?: string;
  'detector-size'?: string;
  detector?: string;
  quiet: boolean;
  detect: boolean;
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new UsageError(`--${name}: expected one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

async function scoreVideoInput(paths: string[], values: VideoArgs): Promise<void> {
  if (values.detect) throw new UsageError('--detect is for face crops; video frames are always searched for faces');
  const format = oneOf('format', values.format, VIDEO_FORMATS, videoFormatFor(values.out));
  if (format !== 'abaw-expr' || paths.length === 1) refuseFolder(values.out);
  else if (existsSync(values.out) && !statSync(values.out).isDirectory()) {
    throw new UsageError(`--out ${values.out} is a file; a folder of videos writes one <video>.txt each into a folder`);
  }
  const faces = oneOf('faces', values.faces, FACE_MODES, format === 'csv' || format === 'jsonl' ? 'all' : 'main');
  const fill = oneOf('fill', values.fill, ['none', 'interpolate'] as const, 'none');
  const detector = oneOf('detector', values.detector, ['tiny', 'blazeface'] as const, 'tiny');
  if (detector === 'blazeface' && values['detector-size']) throw new UsageError('--detector-size applies to the tiny detector; BlazeFace runs at 256');
  const detectorInputSize = (values['detector-size'] ?? '608,320').split(',').map((v) => {
    const n = positiveInt('detector-size', v.trim(), 0);
    if (n % 32 !== 0) throw new UsageError(`--detector-size: expected multiples of 32, got ${v}`);
    return n;
  });
  const device = deviceArg(values.device);
  const options = {
    out: values.out,
    format,
    faces,
    fill,
    smooth: positiveInt('smooth', values.smooth, 1),
    landmarks: values.landmarks,
    detectEvery: positiveInt('detect-every', values['detect-every'], 10),
    batchSize: positiveInt('batch', values.batch, 16),
    detector,
    detectorInputSize,
    log: (line: string) => values.quiet || process.stderr.write(`fer-stream: ${line}\n`),
    progress: Boolean(process.stderr.isTTY) && !values.quiet,
  };
  // One video: a bad file fails now, before any model loads (and is not probed again).
  const videos: (string | VideoInfo)[] = paths.length === 1 ? [await probeVideo(paths[0])] : paths;
  const manifest = loadManifest(values.manifest ?? DEFAULT_MANIFEST);
  // Two workers let the two members run side by side; measured on 2 cores: 85 vs 58 frames/s at 720p.
  const workers = positiveInt('workers', values.workers, 2);
  const pool = new InferencePool({ workers, maxQueue: 8 });
  try {
    const ensemble = await Ensemble.load(manifest, pool, device);
    const providers = [...new Set(Object.values(ensemble.providers))].join(', ');
    options.log(`${paths.length} video(s), ensemble "${manifest.name}" (${manifest.members.map((m) => m.name).join(' + ')}) on ${providers}, detector every ${options.detectEvery} frame(s)`);
    await scoreVideoFiles(videos, pool, device, ensemble, options);
  } finally {
    await pool.close();
  }
}

function evaluate(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: { pred: { type: 'string' }, labels: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  if (!values.pred || !values.labels) throw new UsageError('eval needs --pred <file> and --labels <folder | file>');
  const result = evaluatePredictions(readPredictions(values.pred), readGroundTruth(values.labels));
  if (values.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const notes = [];
  if (result.skipped) notes.push(`left out ${result.skipped} ground-truth image(s) outside the six classes (e.g. neutral)`);
  if (result.matchedByBasename) notes.push(`matched ${result.matchedByBasename} prediction(s) by file name only`);
  if (result.unmatchedPredictions) notes.push(`${result.unmatchedPredictions} prediction(s) have no ground truth`);
  process.stdout.write(formatReport(result.report, notes) + '\n');
}

export async function main(argv: string[]): Promise<number> {
  try {
    if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
      process.stdout.write(HELP + '\n');
      return argv.length === 0 ? 2 : 0;
    }
    const [command, ...rest] = argv;
    if (command === 'eval') evaluate(rest);
    else if (command === 'models') {
      const paths = ensureAllBuiltinModels();
      for (const [id, path] of Object.entries(paths)) process.stdout.write(`${id}\t${path}\n`);
    } else await score(command === 'score' ? rest : argv);
    return 0;
  } catch (err) {
    const e = err as Error & { code?: string };
    if (err instanceof UsageError || e.code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`fer-stream: ${e.message}\nRun fer-stream --help for usage.\n`);
      return 2;
    }
    if (err instanceof InputError || err instanceof ManifestError || isDeviceUnavailable(err)) {
      process.stderr.write(`fer-stream: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`fer-stream: ${e.stack ?? e.message}\n`);
    return 1;
  }
}
