#!/usr/bin/env node
import { existsSync, statSync } from 'node:fs';
import { TinyFaceDetector } from '../detection/tinyFaceDetector.js';
import { evaluatePredictions, readGroundTruth, readPredictions } from '../eval/evaluatePredictions.js';
import { formatReport } from '../eval/metrics.js';
import { evaluateVideoPredictions, isAbawAnnotationFolder, readTrackFolder, readVideoPredictions } from '../eval/videoEvaluation.js';
import { DEFAULT_MANIFEST } from '../models/defaultManifest.js';
import { Ensemble } from '../models/ensemble.js';
import { ensureAllBuiltinModels } from '../models/import/modelImporter.js';
import { loadManifest, ManifestError } from '../models/manifest.js';
import { InferencePool, isDeviceUnavailable } from '../models/ort/inferencePool.js';
import { listFaceCrops, listSome, repeatedNames } from '../pipeline/faceCropSource.js';
import { InputError } from '../util/inputError.js';
import { classifyInput } from '../pipeline/inputKind.js';
import { scoreFaceCrops } from '../pipeline/scoreFaceCrops.js';
import { refuseUnwritableSingleFileNames } from '../sinks/abawExpr.js';
import { isStreamOutput } from '../util/atomicFile.js';
import { plannedVideoOutputs, videoFormatFor, videoName } from '../sinks/writeVideoOutputs.js';
import { assertWritable, OutputError } from '../util/outputSafety.js';
import { probeVideo, type VideoInfo } from '../video/probeVideo.js';
import { scoreVideoFiles } from './scoreVideoFiles.js';
import { CROP_FORMATS, cropFormatFor, writeCropPredictions } from '../sinks/faceCropSinks.js';
import { ConfigError } from '../serve/serveConfig.js';
import { parseOptions, UsageError } from './parseOptions.js';
import { runInputs } from '../models/runInputs.js';
import { serve, SERVE_HELP } from './serveCommand.js';
import { batch, BATCH_HELP, merge } from './batchCommand.js';
import { train, TRAIN_HELP } from './trainCommand.js';
import {
  deviceArg,
  oneOf,
  positiveInt,
  REID_FLAGS,
  VIDEO_OPTIONS,
  videoSettings,
  WORKER_MB,
  workerCount,
  type VideoArgs,
} from './videoSettings.js';

const HELP = `fer-stream — facial expression labels from a bagged ensemble of multi-task networks

Usage:
  fer-stream --input <video | folder of videos> --out <file | folder> [options]   label every frame's faces
                          (a folder --out gets <folder>/<video>.txt; --out - writes standard output,
                          and a FIFO or device is written as a stream, never replaced)
  fer-stream --input <folder | release list> --out <file> [options]   score face crops (ABAW4 LSD)
  fer-stream eval --pred <file> --labels <class-folder tree | labels file> [--json]
  fer-stream eval --pred <folder | ABAW single file> --labels <ABAW annotation folder> [--json]
                          video predictions against per-video expression annotations
  fer-stream batch --input <folder | list | 'glob'>... --out-dir <dir> [--jobs n] [--shard i/N]
                          score a test set: parallel, resumable, sharded (fer-stream batch --help)
  fer-stream merge --out <file> <shard dirs>...   join shard outputs into ABAW's single file
  fer-stream train --data <set> --val <set>... --out <dir>   a bagged multi-task ensemble (fer-stream train --help)
  fer-stream serve --input <rtsp:// | http:// | /dev/videoN | file> | --config <yaml>   live daemon
                          (WebSocket, dashboard, metrics; fer-stream serve --help)
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
  --reid-within-shots     a scene cut starts new IDs; default (--reid-across-cuts): a person keeps
                          their ID across cuts (by appearance), so one ID is one person in the whole video
  --no-reid               no re-identification by appearance: a face lost for more than 30 frames
                          comes back with a new ID (see docs/tracking.md)
  --accept-short          a file that ends before the frames its container declares (cut short, still
                          being written) is scored as far as it goes, with a warning (default: an error)
  --detector tiny|blazeface   face detector (default tiny: face-api's Tiny Face Detector). blazeface
                          (human's BlazeFace) finds more turned, dim and close-up faces, faster, but
                          also finds faces in cartoons; see docs/detectors.md
  --detector-size <px>[,<px>]   tiny detector input sizes, multiples of 32 (default 608,320: the
                          first finds small faces, the second adds close-ups too large for it)

Face crop options:
  --format abaw-lsd|csv|jsonl   output format (default: from --out: .csv -> csv, .jsonl -> jsonl,
                          else abaw-lsd)
  --detect                run the face detector and score the largest face (default: inputs are crops)

Common options:
  --manifest <file>       ensemble manifest, JSON or YAML (default: config/default-ensemble.json); "accurate":
                          the bundled accurate ensemble (about a third of the speed; docs/ensemble.md)
  --device auto|cpu|cuda|tensorrt|webgpu   execution provider (default auto: CUDA if installed, then
                          WebGPU where a GPU is, else CPU; webgpu: any GPU with a Vulkan driver, docs/gpu.md)
  --batch <n>             faces per inference batch (default 32 for crops; video: frames per batch,
                          default 16, at most 256 MB of decoded frames; 128 faces per model call)
  --workers <n>           inference worker threads (default 2 for video, 1 for crops; at most one per
                          core: each holds its own copy of the models, about ${WORKER_MB} MB)
  --quiet                 no progress on stderr
  --verbose               on failure, print the stack trace too (also: DEBUG=fer-stream)

Examples:
  fer-stream --input video.mp4 --out preds.txt
  fer-stream --input test_videos/ --out predictions/ --faces left-right --smooth 15
  fer-stream --input video.mp4 --out faces.csv --landmarks
  fer-stream --input samples/crops --out preds.txt
  fer-stream --input test_set/release.txt --format abaw-lsd --out preds.txt
  fer-stream --input validation_set_real_images --format csv --out val.csv
  fer-stream eval --pred preds.txt --labels validation_set_real_images

Exit codes: 0 success, 1 failed (bad input, model, device or output location), 2 usage error
(including an --out that is one of the inputs).`;

async function score(argv: string[]): Promise<void> {
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

function evaluate(argv: string[]): void {
  const values = parseOptions(argv, { pred: { type: 'string' }, labels: { type: 'string' }, json: { type: 'boolean', default: false } });
  if (!values.pred || !values.labels) throw new UsageError('eval needs --pred <file> and --labels <folder | file>');
  if (isAbawAnnotationFolder(values.labels)) return evaluateVideos(values.pred, values.labels, values.json);
  const result = evaluatePredictions(readPredictions(values.pred), readGroundTruth(values.labels));
  if (values.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const notes = [];
  const skipped = Object.entries(result.skipped);
  if (skipped.length) {
    const total = skipped.reduce((a, [, n]) => a + n, 0);
    notes.push(`left out ${total} ground-truth image(s) outside the six classes: ${skipped.map(([l, n]) => `${l} ${n}`).join(', ')}`);
  }
  if (result.matchedByBasename) notes.push(`matched ${result.matchedByBasename} prediction(s) by file name only`);
  if (result.unmatchedPredictions) notes.push(`${result.unmatchedPredictions} prediction(s) have no ground truth`);
  process.stdout.write(formatReport(result.report, notes) + '\n');
}

/** ABAW expression annotations (a folder of per-video files) against per-video predictions or the single file. */
function evaluateVideos(pred: string, labels: string, json: boolean): void {
  const result = evaluateVideoPredictions(readVideoPredictions(pred), readTrackFolder(labels));
  if (json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const notes = [];
  if (result.missingVideos.length)
    notes.push(`no prediction for ${result.missingVideos.length} video(s), their frames counted wrong: ${result.missingVideos.join(', ')}`);
  const mismatched = result.videos.filter((v) => v.lengthMismatch);
  if (mismatched.length)
    notes.push(
      `length differs in ${mismatched.length} video(s) (missing frames counted wrong, extra ones ignored): ${mismatched.map((v) => `${v.video} ${v.lengthMismatch}`).join('; ')}`,
    );
  if (result.unannotatedVideos.length)
    notes.push(`${result.unannotatedVideos.length} predicted video(s) have no annotation: ${result.unannotatedVideos.join(', ')}`);
  const w = Math.max(5, ...result.videos.map((v) => v.video.length));
  const table = [
    '',
    `${'video'.padEnd(w)}  frames  scored  accuracy  macro F1`,
    ...result.videos.map(
      (v) =>
        `${v.video.padEnd(w)}  ${String(v.annotatedFrames).padStart(6)}  ${String(v.evaluated).padStart(6)}  ${(100 * v.accuracy).toFixed(2).padStart(7)}%  ${v.macroF1.toFixed(4).padStart(8)}${v.lengthMismatch ? `  (${v.lengthMismatch})` : ''}`,
    ),
  ];
  process.stdout.write(formatReport(result.report, notes, 'frames') + '\n' + table.join('\n') + '\n');
}

/** Stack traces are for developers: printed only with --verbose or DEBUG=fer-stream. */
const debugEnv = () => /(^|[,\s])(fer-stream|\*)([,\s]|$)/.test(process.env.DEBUG ?? '');

export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose') || debugEnv();
  argv = argv.filter((a) => a !== '--verbose');
  try {
    const [command, ...rest] = argv;
    if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
      process.stdout.write(
        (command === 'serve'
          ? SERVE_HELP
          : command === 'batch' || command === 'merge'
            ? BATCH_HELP
            : command === 'train'
              ? TRAIN_HELP
              : HELP) + '\n',
      );
      return argv.length === 0 ? 2 : 0;
    }
    if (command === 'serve') return await serve(rest);
    if (command === 'batch') return await batch(rest);
    if (command === 'merge') return merge(rest);
    if (command === 'train') return await train(rest);
    if (command === 'eval') evaluate(rest);
    else if (command === 'models') {
      const paths = ensureAllBuiltinModels();
      for (const [id, path] of Object.entries(paths)) process.stdout.write(`${id}\t${path}\n`);
    } else await score(command === 'score' ? rest : argv);
    return 0;
  } catch (err) {
    return reportFailure(err, verbose);
  }
}

/** One line on stderr, and the exit code: 2 for a usage mistake, 1 for anything else. */
function reportFailure(err: unknown, verbose: boolean): number {
  const e = (err instanceof Error ? err : new Error(String(err))) as Error & { code?: string };
  const usage =
    err instanceof UsageError ||
    err instanceof ConfigError ||
    (err instanceof OutputError && err.usage) ||
    Boolean(e.code?.startsWith('ERR_PARSE_ARGS'));
  const expected =
    usage || err instanceof InputError || err instanceof ManifestError || err instanceof OutputError || isDeviceUnavailable(err);
  const line = String(e.message || e.name).split('\n')[0];
  process.stderr.write(`fer-stream: ${expected ? line : `${e.name === 'Error' ? '' : `${e.name}: `}${line}`}\n`);
  if (usage) process.stderr.write('Run fer-stream --help for usage.\n');
  if (verbose && e.stack) process.stderr.write(`${e.stack}\n`);
  else if (!expected) process.stderr.write('(run with --verbose or DEBUG=fer-stream for the stack trace)\n');
  return usage ? 2 : 1;
}
