import { availableParallelism, freemem } from 'node:os';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { listBatchVideos, resolveShard, shardVideos } from '../batch/batchInputs.js';
import { BatchProgress } from '../batch/batchProgress.js';
import { runBatch, SINGLE_FILE_NAME, SUMMARY_NAME, type BatchOutputSettings } from '../batch/batchRun.js';
import { readFrameCounts } from '../batch/frameCounts.js';
import { mergeShards } from '../batch/mergeShards.js';
import { lockOutDir } from '../batch/outDirLock.js';
import { loadDetector } from '../detection/loadDetector.js';
import { Ensemble } from '../models/ensemble.js';
import { FaceDescriber } from '../models/faceDescriber.js';
import { loadManifest } from '../models/manifest.js';
import { placementLine } from '../models/ort/cpuPlacement.js';
import { InferencePool } from '../models/ort/inferencePool.js';
import { InputError } from '../util/inputError.js';
import { writeFileAtomic, writeOutput } from '../util/atomicFile.js';
import { assertWritable, InputFiles, isStreamOutput } from '../util/outputSafety.js';
import { oneOf, positiveInt, VIDEO_OPTIONS, videoSettings, type VideoSettings } from './videoSettings.js';
import { refuseUnwritableSingleFileNames } from '../sinks/abawExpr.js';
import { parseOptions, UsageError } from './parseOptions.js';
import { runInputs } from '../models/runInputs.js';

export const BATCH_HELP = `fer-stream batch — score a test set of videos: parallel, resumable, sharded

Usage:
  fer-stream batch --input <folder | list file | 'glob'>... --out-dir <dir> [options]
  fer-stream merge --out <file> [--frame-counts <file | folder>] <shard out-dirs>...

Batch options (and every video option of fer-stream --help):
  --input <...>           a folder of videos, a list file (one path per line), a quoted glob, or a
                          video; repeat for more
  --out-dir <dir>         <dir>/<video>.txt (and _left/_right, _track<id>), <video>.csv or .jsonl;
                          abaw-expr-single also joins them into <dir>/${SINGLE_FILE_NAME}; a summary in
                          <dir>/${SUMMARY_NAME}
  --format abaw-expr|abaw-expr-single|csv|jsonl   (default abaw-expr)
  --jobs <n>              videos scored at once over one shared inference pool (default: one per core,
                          memory permitting; docs/batch.md)
  --shard <i>/<N>         score only shard i of N (0-based; by sorted name, every N-th video); read from
                          SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX with
                          --shards N (Kubernetes Indexed Jobs), when not given
  --shards <N>            the shard count for JOB_COMPLETION_INDEX (also FER_STREAM_SHARDS)
  --frame-counts <file | folder>   force each output to the organisers' frame count: a "video,frames"
                          list, or a folder of their per-video .txt files
  --pad last|none         a short output is padded with its last label (default) or -1
  --quiet                 no progress

A rerun skips every video whose outputs are complete for the same input and settings, and does the rest;
a killed run leaves no partial file. Exit code 1 when any video failed (the others are still scored).`;

/**
 * Jobs by default: one per core, memory permitting. Measured on 2 cores over the shared videos (docs/batch.md):
 * 105.7, 118.0 and 123.9 frames/s with 1, 2 and 3 jobs, each job adding about 60 MB at its peak (decoded
 * frames in flight, per-video state); the inference pool, shared by all jobs, holds the models once.
 */
export const JOB_MB = 150;
export function defaultJobs(cores = availableParallelism(), freeMb = freemem() / 2 ** 20): number {
  return Math.max(1, Math.min(cores, Math.floor(freeMb / JOB_MB)));
}

/**
 * The settings that decide outputs (the resume key), without how the work is run: results do not depend on the
 * batch size, the workers or the device (batched equals single; CPU and GPU agree).
 */
function outputSettings(s: VideoSettings): BatchOutputSettings {
  const { format, faces, fill, smooth, landmarks, detectEvery, detector, detectorInputSize, reidentify, manifest } = s;
  return { format, faces, fill, smooth, landmarks, detectEvery, detector, detectorInputSize, reidentify, manifest };
}

/**
 * --jobs, at most two per core and what memory allows (each job is an ffmpeg process and its frames in
 * flight; past two per core the pool is the bottleneck and only memory grows), said when clamped.
 */
export function jobCount(value: string | undefined, cores = availableParallelism(), freeMb = freemem() / 2 ** 20): number {
  const asked = positiveInt('jobs', value, defaultJobs(cores, freeMb));
  const most = Math.max(1, Math.min(2 * cores, Math.floor(freeMb / JOB_MB)));
  if (asked <= most) return asked;
  process.stderr.write(
    `fer-stream: warning: --jobs ${asked} is more than this machine can run at once (2 per core on ${cores} core(s), about ${JOB_MB} MB each with ${Math.round(freeMb)} MB free); using ${most}\n`,
  );
  return most;
}

export async function batch(argv: string[]): Promise<number> {
  const values = parseOptions(argv, {
    input: { type: 'string', short: 'i', multiple: true },
    'out-dir': { type: 'string', short: 'o' },
    jobs: { type: 'string' },
    shard: { type: 'string' },
    shards: { type: 'string' },
    'frame-counts': { type: 'string' },
    pad: { type: 'string' },
    ...VIDEO_OPTIONS,
  });
  if (!values.input?.length) throw new UsageError('batch needs --input <folder | list file | glob>');
  const outDir = values['out-dir'];
  if (!outDir) throw new UsageError('batch needs --out-dir <dir>');
  const settings = videoSettings(values, 'abaw-expr');
  // One inference worker per core (not the 2 of single-video scoring): all jobs share the pool.
  if (values.workers === undefined) settings.workers = availableParallelism();
  const jobs = jobCount(values.jobs);
  const pad = oneOf('pad', values.pad, ['last', 'none'] as const, 'last');
  if (values.shards !== undefined) positiveInt('shards', values.shards, 1);
  const shard = resolveShard(values.shard, process.env, values.shards);
  assertWritable(outDir, true);

  const all = listBatchVideos(values.input);
  const videos = shardVideos(all, shard);
  if (settings.format === 'abaw-expr-single') refuseUnwritableSingleFileNames(all.map((v) => v.name));
  const frameCounts = values['frame-counts'] ? readFrameCounts(values['frame-counts']) : undefined;
  const manifest = loadManifest(settings.manifest);
  const inputs = runInputs(manifest, ...videos.map((v) => v.path));
  if (values['frame-counts']) inputs.add(values['frame-counts']);
  const log = (line: string) => values.quiet || process.stderr.write(`fer-stream: ${line}\n`);
  const missingCounts = frameCounts ? videos.filter((v) => !frameCounts.has(v.name)) : [];
  if (missingCounts.length)
    log(
      `warning: --frame-counts has no count for ${missingCounts.length} video(s) (first: ${missingCounts[0].name}); their outputs keep the decoded length`,
    );
  log(
    `batch: ${videos.length} video(s)${shard ? ` (shard ${shard.index}/${shard.count} of ${all.length})` : ''}, ${jobs} job(s), ${settings.workers} inference worker(s) -> ${outDir}`,
  );

  // One run per folder, taken before the models load so that a second run says so at once.
  mkdirSync(outDir, { recursive: true });
  const unlock = lockOutDir(outDir);
  process.once('exit', unlock);
  const pool = new InferencePool({ workers: settings.workers, maxQueue: 8 * jobs });
  const progress = new BatchProgress(videos.length, values.quiet ? 'off' : process.stderr.isTTY ? 'bar' : 'lines', log);
  try {
    const ensemble = await Ensemble.load(manifest, pool, settings.device);
    const detector = await loadDetector(pool, settings.device, settings.detector, settings.detectorInputSize);
    const describer = settings.reidentify === 'off' ? undefined : await FaceDescriber.load(pool, settings.device);
    const placement = placementLine(pool.placements);
    if (placement) log(placement);
    const summary = await runBatch(
      videos,
      { detector, ensemble, describer },
      {
        outDir,
        settings: outputSettings(settings),
        batchSize: settings.batchSize,
        jobs,
        frameCounts,
        pad,
        allVideos: all,
        shard,
        inputs,
        acceptShort: settings.acceptShort,
        events: progress,
      },
    );
    progress.stop();
    const t = summary.totals;
    for (const v of summary.videos)
      if (v.status !== 'failed' && v.frameCount && (v.frameCount.padded || v.frameCount.trimmed)) {
        log(
          `${v.name}: ${v.frameCount.decoded} frames decoded, ${v.frameCount.target} expected: ${v.frameCount.padded ? `padded ${v.frameCount.padded}` : `trimmed ${v.frameCount.trimmed}`}`,
        );
      }
    log(
      `batch: ${t.done} done, ${t.skipped} already complete, ${t.failed} failed; ${t.scoredFrames} frames scored in ${t.seconds.toFixed(1)} s (${t.framesPerSecond.toFixed(1)} frames/s); summary ${outDir}/${SUMMARY_NAME}`,
    );
    if (t.failed) {
      const failed = summary.videos.filter((v) => v.status === 'failed');
      throw new InputError(
        `${t.failed} of ${t.videos} video(s) failed: ${failed.map((v) => `${v.path}: ${(v as { error: string }).error}`).join('; ')}`,
      );
    }
    return 0;
  } finally {
    progress.stop();
    await pool.close();
    unlock();
  }
}

/** fer-stream merge --out <file> <shard dirs>...: the ABAW single file and one summary (`<out>.summary.json`). */
export function merge(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', short: 'o' },
      'frame-counts': { type: 'string' },
      'allow-missing': { type: 'boolean', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (!values.out) throw new UsageError('merge needs --out <file>');
  if (!positionals.length) throw new UsageError('merge needs the shard output folders');
  assertWritable(values.out);
  const frameCounts = values['frame-counts'] ? readFrameCounts(values['frame-counts']) : undefined;
  const { singleFile, rows, files, summary } = mergeShards(positionals, frameCounts);
  const inputs = new InputFiles().add(...positionals.map((d) => join(d, SUMMARY_NAME)), ...files);
  if (summary.missing.length && !values['allow-missing']) {
    throw new InputError(
      `${summary.missing.length} of ${summary.totals.videos} video(s) have no finished output: ${summary.missing.join(', ')}; nothing written (rerun their shards, or --allow-missing)`,
    );
  }
  inputs.refuseOverwrite([values.out]);
  writeOutput(values.out, singleFile, `--out ${values.out}`);
  // A stream (standard output, a pipe) has no folder to put a summary beside.
  const summaryFile = isStreamOutput(values.out) ? undefined : `${values.out.replace(/\.[^./]*$/, '')}.summary.json`;
  if (summaryFile) writeFileAtomic(summaryFile, JSON.stringify(summary, null, 2) + '\n', `--out ${summaryFile}`);
  if (!values.quiet) {
    process.stderr.write(
      `fer-stream: merged ${summary.totals.finished} of ${summary.totals.videos} video(s) from ${positionals.length} shard(s) into ${values.out} (${rows} frames)${summaryFile ? `; summary ${summaryFile}` : ''}${summary.missing.length ? `; missing: ${summary.missing.join(', ')}` : ''}\n`,
    );
  }
  return 0;
}
