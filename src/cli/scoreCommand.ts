import { existsSync, statSync } from 'node:fs';
import { TinyFaceDetector } from '../detection/tinyFaceDetector.js';
import { DEFAULT_MANIFEST } from '../models/defaultManifest.js';
import { Ensemble } from '../models/ensemble.js';
import { loadManifest } from '../models/manifest.js';
import { placementLine } from '../models/ort/cpuPlacement.js';
import { InferencePool } from '../models/ort/inferencePool.js';
import { listFaceCrops, listSome, repeatedNames } from '../pipeline/faceCropSource.js';
import { InputError } from '../util/inputError.js';
import { classifyInput } from '../pipeline/inputKind.js';
import { scoreFaceCrops } from '../pipeline/scoreFaceCrops.js';
import { refuseUnwritableSingleFileNames } from '../sinks/abawExpr.js';
import { plannedVideoOutputs, videoFormatFor, videoName } from '../sinks/writeVideoOutputs.js';
import { assertWritable, isStreamOutput } from '../util/outputSafety.js';
import { probeVideo, type VideoInfo } from '../video/probeVideo.js';
import { scoreVideoFiles } from './scoreVideoFiles.js';
import { CROP_FORMATS, cropFormatFor, writeCropPredictions } from '../sinks/faceCropSinks.js';
import { parseOptions, UsageError } from './parseOptions.js';
import { runInputs } from '../models/runInputs.js';
import { deviceArg, oneOf, positiveInt, REID_FLAGS, VIDEO_OPTIONS, videoSettings, workerCount, type VideoArgs } from './videoSettings.js';

/** File mode: face crops, one video, or a folder of videos, as `--input` names them. */
export async function score(argv: string[]): Promise<void> {
  const values = parseOptions(argv, {
    input: { type: 'string', short: 'i' },
    out: { type: 'string', short: 'o' },
    detect: { type: 'boolean', default: false },
    ...VIDEO_OPTIONS,
  });
  if (!values.input) throw new UsageError('--input is required');
  if (!values.out) throw new UsageError('--out is required');
  const input = classifyInput(values.input);
  if (input.kind !== 'crops') return scoreVideoInput(input.kind === 'video' ? [input.path] : input.paths, values as VideoInputArgs);
  for (const flag of ['faces', 'smooth', 'fill', 'detect-every', 'detector-size', 'detector'] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} applies to video input; ${values.input} holds face crops`);
  }
  if (values.landmarks) throw new UsageError('--landmarks applies to video csv/jsonl output; face crops have no landmark columns');
  const reidFlag = REID_FLAGS.find((flag) => values[flag]);
  if (reidFlag) throw new UsageError(`--${reidFlag} applies to video input; ${values.input} holds face crops`);
  const format = oneOf('format', values.format, CROP_FORMATS, cropFormatFor(values.out));
  const device = deviceArg(values.device);
  const batchSize = positiveInt('batch', values.batch, 32);
  const workers = workerCount(values.workers, 1);
  refuseFolder(values.out);
  assertWritable(values.out);

  const items = listFaceCrops(values.input);
  const manifest = loadManifest(values.manifest ?? DEFAULT_MANIFEST);
  runInputs(manifest, ...items.map((it) => it.path), values.input).refuseOverwrite([values.out]);
  const repeated = repeatedNames(items);
  if (repeated.size) {
    const extra = [...repeated.values()].reduce((a, n) => a + n - 1, 0);
    process.stderr.write(
      `fer-stream: warning: ${values.input} lists ${repeated.size} image(s) more than once (${extra} extra row(s), e.g. ${listSome([...repeated.keys()], 3)}); each listing is scored and written\n`,
    );
  }
  const pool = new InferencePool({ workers, maxQueue: 8 });
  try {
    const ensemble = await Ensemble.load(manifest, pool, device);
    const providers = [...new Set(Object.values(ensemble.providers))].join(', ');
    const detector = values.detect ? await TinyFaceDetector.load(pool, device, { inputSize: 608 }) : undefined;
    const log = (s: string) => values.quiet || process.stderr.write(s);
    log(
      `fer-stream: ${items.length} image(s), ensemble "${manifest.name}" (${manifest.members.map((m) => m.name).join(' + ')}) on ${providers}\n`,
    );
    const placement = placementLine(pool.placements);
    if (placement) log(`fer-stream: ${placement}\n`);
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
    log(
      `fer-stream: wrote ${results.length} prediction(s) to ${values.out} (${format}) in ${secs.toFixed(1)} s, ${(results.length / secs).toFixed(1)} images/s${detector ? `; no face found in ${noFace} (whole image scored)` : ''}\n`,
    );
  } finally {
    await pool.close();
  }
}

/** False for a path that does not exist or cannot (one under a file): assertWritable reports those. */
function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function refuseFolder(out: string): void {
  if (isFolder(out)) throw new InputError(`--out ${out} is a folder; give a file name`);
}

interface VideoInputArgs extends VideoArgs {
  input: string;
  out: string;
  detect: boolean;
}

async function scoreVideoInput(paths: string[], values: VideoInputArgs): Promise<void> {
  if (values.detect) throw new UsageError('--detect is for face crops; video frames are always searched for faces');
  const settings = videoSettings(values, videoFormatFor(values.out));
  const { format, faces } = settings;
  if (format !== 'abaw-expr') refuseFolder(values.out);
  else if (paths.length > 1 && existsSync(values.out) && !statSync(values.out).isDirectory()) {
    throw new UsageError(`--out ${values.out} is a file; a folder of videos writes one <video>.txt each into a folder`);
  }
  const toFolder = format === 'abaw-expr' && (paths.length > 1 || isFolder(values.out));
  if (isStreamOutput(values.out) && (toFolder || (format === 'abaw-expr' && faces !== 'main'))) {
    throw new UsageError(
      `--out ${values.out} is a stream, which holds one file; abaw-expr writes one file per video and face here (use --format csv, jsonl or abaw-expr-single, or --faces main for one video)`,
    );
  }
  assertWritable(values.out, toFolder);
  const manifest = loadManifest(settings.manifest);
  const inputs = runInputs(manifest, ...paths);
  const log = (line: string) => values.quiet || process.stderr.write(`fer-stream: ${line}\n`);
  inputs.refuseOverwrite(plannedVideoOutputs(values.out, format, paths, faces, paths.length > 1));
  if (format === 'abaw-expr-single') refuseUnwritableSingleFileNames(paths.map(videoName));
  // One video: a bad file fails now, before any model loads (and is not probed again).
  const videos: (string | VideoInfo)[] = paths.length === 1 ? [await probeVideo(paths[0])] : paths;
  // Two workers (the default) let the two members run side by side; measured on 2 cores: 85 vs 58 frames/s at 720p.
  const pool = new InferencePool({ workers: settings.workers, maxQueue: 8 });
  try {
    const ensemble = await Ensemble.load(manifest, pool, settings.device);
    const providers = [...new Set(Object.values(ensemble.providers))].join(', ');
    log(
      `${paths.length} video(s), ensemble "${manifest.name}" (${manifest.members.map((m) => m.name).join(' + ')}) on ${providers}, detector every ${settings.detectEvery} frame(s)`,
    );
    await scoreVideoFiles(videos, pool, settings.device, ensemble, {
      ...settings,
      out: values.out,
      inputs,
      log,
      progress: Boolean(process.stderr.isTTY) && !values.quiet,
    });
  } finally {
    await pool.close();
  }
}
