#!/usr/bin/env node
import { statSync } from 'node:fs';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { FaceDetector } from '../detection/faceDetector.js';
import { evaluatePredictions, readGroundTruth, readPredictions } from '../eval/evaluatePredictions.js';
import { formatReport } from '../eval/metrics.js';
import { DEFAULT_MANIFEST } from '../models/defaultManifest.js';
import { Ensemble } from '../models/ensemble.js';
import { ensureAllBuiltinModels } from '../models/import/modelImporter.js';
import { loadManifest, ManifestError } from '../models/manifest.js';
import { parseDevice } from '../models/ort/device.js';
import { InferencePool, isDeviceUnavailable } from '../models/ort/inferencePool.js';
import { InputError, listFaceCrops } from '../pipeline/faceCropSource.js';
import { scoreFaceCrops } from '../pipeline/scoreFaceCrops.js';
import { CROP_FORMATS, writeCropPredictions, type CropFormat } from '../sinks/faceCropSinks.js';

const HELP = `fer-stream — facial expression labels from a bagged ensemble of multi-task networks

Usage:
  fer-stream --input <folder | release list> --out <file> [options]   score face crops (ABAW4 LSD)
  fer-stream eval --pred <file> --labels <class-folder tree | labels file> [--json]
  fer-stream models                                                    import the built-in ONNX models now

Scoring options:
  --format abaw-lsd|csv   output format (default: from --out: .csv -> csv, else abaw-lsd)
  --manifest <file>       ensemble manifest, JSON or YAML (default: config/default-ensemble.json)
  --device auto|cpu|cuda|tensorrt   execution provider (default auto: CUDA if installed, else CPU)
  --batch <n>             faces per inference batch (default 32)
  --workers <n>           inference worker threads (default 1)
  --detect                run the face detector and score the largest face (default: inputs are crops)
  --quiet                 no progress on stderr

Examples:
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
      quiet: { type: 'boolean', short: 'q', default: false },
    },
  });
  if (!values.input) throw new UsageError('--input is required');
  if (!values.out) throw new UsageError('--out is required');
  const format = (values.format ?? (extname(values.out).toLowerCase() === '.csv' ? 'csv' : 'abaw-lsd')) as CropFormat;
  if (!CROP_FORMATS.includes(format)) throw new UsageError(`--format: expected one of ${CROP_FORMATS.join(', ')}, got "${values.format}"`);
  let device;
  try {
    device = parseDevice(values.device);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const batchSize = positiveInt('batch', values.batch, 32);
  const workers = positiveInt('workers', values.workers, 1);
  try {
    if (statSync(values.out).isDirectory()) throw new InputError(`--out ${values.out} is a folder; give a file name`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }

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
