import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Detector } from '../detection/detector.js';
import type { Ensemble } from '../models/ensemble.js';
import type { FaceDescriber } from '../models/faceDescriber.js';
import type { FaceMode } from '../pipeline/selectFaces.js';
import { reidentifyOptions, type ReidMode } from '../pipeline/videoFaceLabeler.js';
import { runVideoJob } from '../pipeline/videoJob.js';
import { writeVideoOutputs, type VideoFormat } from '../sinks/writeVideoOutputs.js';
import { writeFileAtomic } from '../util/atomicFile.js';
import type { InputFiles } from '../util/outputSafety.js';
import { joinAbawExprFiles } from './abawSingleFile.js';
import type { BatchVideo } from './batchInputs.js';
import type { Shard } from '../util/shard.js';
import { FinishedLedger, removeStaleTempFiles, type FinishedVideo } from './finishedVideos.js';

/** What decides a video's outputs (and so whether a finished one can be kept). */
export interface BatchOutputSettings {
  format: VideoFormat;
  faces: FaceMode;
  fill: 'none' | 'interpolate';
  smooth: number;
  landmarks: boolean;
  detectEvery: number;
  detector: 'tiny' | 'blazeface';
  detectorInputSize: number[];
  reidentify: ReidMode;
  /** The ensemble manifest file. */
  manifest: string;
}

export interface BatchOptions {
  outDir: string;
  settings: BatchOutputSettings;
  batchSize: number;
  /** Videos scored at once. */
  jobs: number;
  /** The organisers' frame counts by video name, and how to pad a short output. */
  frameCounts?: Map<string, number>;
  pad: 'last' | 'none';
  /** Every video of the batch before sharding (for the summary and `merge`), and this run's shard. */
  allVideos: BatchVideo[];
  shard?: Shard;
  inputs?: InputFiles;
  /** `--accept-short`: a video that ends early is scored as far as it goes (its entry says why) instead of failing. */
  acceptShort: boolean;
  events: BatchEvents;
}

export interface BatchEvents {
  videoStarted(video: BatchVideo): void;
  framesDone(video: BatchVideo, frames: number): void;
  videoEnded(result: VideoResult): void;
}

export interface BatchModels {
  detector: Detector;
  ensemble: Ensemble;
  describer?: FaceDescriber;
}

export type VideoResult =
  (FinishedVideo & { status: 'done' | 'skipped' }) | { status: 'failed'; name: string; path: string; error: string; seconds: number };

export interface BatchSummary {
  outDir: string;
  shard?: Shard;
  /** Every video of the batch, all shards (names), so `merge` can say which are missing. */
  allVideos: string[];
  settings: BatchOutputSettings;
  /** The execution provider each model ran on (cpu, cuda, tensorrt, webgpu): what `--device` became. */
  providers: Record<string, string>;
  startedAt: string;
  finishedAt: string;
  /** The single ABAW file of this run (abaw-expr-single), when every video of it is done. */
  singleFile?: string;
  videos: VideoResult[];
  /** `frames`: in every finished output; `scoredFrames`: scored by this run (skipped videos aside), which framesPerSecond counts. */
  totals: {
    videos: number;
    done: number;
    skipped: number;
    failed: number;
    frames: number;
    scoredFrames: number;
    seconds: number;
    framesPerSecond: number;
  };
}

export const SUMMARY_NAME = 'batch-summary.json';
export const SINGLE_FILE_NAME = 'predictions.txt';

/**
 * Keys of everything that decides a video's outputs: the settings, the manifest's bytes (read once per run), and
 * the video's frame count.
 */
export function batchSettingsKeys(settings: BatchOutputSettings, pad: string): (frameCount: number | undefined) => string {
  const manifest = createHash('sha256').update(readFileSync(settings.manifest)).digest('hex');
  return (frameCount) =>
    createHash('sha256')
      .update(JSON.stringify({ ...settings, manifest, frameCount, pad: frameCount === undefined ? undefined : pad }))
      .digest('hex')
      .slice(0, 16);
}

/**
 * Scores a batch of videos into `outDir`, `jobs` at a time over one inference pool, each video's outputs
 * written atomically and then recorded in the resume ledger; videos already finished with the same inputs
 * and settings are skipped. A failing video is reported and never stops the others. Writes the summary.
 * The caller holds the folder's lock (lockOutDir) for the whole run.
 */
export async function runBatch(videos: BatchVideo[], models: BatchModels, o: BatchOptions): Promise<BatchSummary> {
  const startedAt = new Date();
  mkdirSync(o.outDir, { recursive: true });
  removeStaleTempFiles(o.outDir);
  const ledger = new FinishedLedger(o.outDir);
  const settingsKey = batchSettingsKeys(o.settings, o.pad);
  const results: VideoResult[] = new Array(videos.length);
  let next = 0;
  const worker = async () => {
    while (next < videos.length) {
      const i = next++;
      results[i] = await runOne(videos[i], models, ledger, settingsKey(o.frameCounts?.get(videos[i].name)), o);
      o.events.videoEnded(results[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, videos.length) }, worker));

  const ok = results.filter((r): r is Extract<VideoResult, { status: 'done' | 'skipped' }> => r.status !== 'failed');
  let singleFile: string | undefined;
  if (o.settings.format === 'abaw-expr-single' && ok.length === results.length && ok.length) {
    singleFile = join(o.outDir, SINGLE_FILE_NAME);
    o.inputs?.refuseOverwrite([singleFile]);
    writeFileAtomic(
      singleFile,
      joinAbawExprFiles(ok.flatMap((r) => r.outputs.map((f) => ({ path: join(o.outDir, f), frames: r.frames })))).text,
      `--out-dir ${singleFile}`,
    );
  }
  const frames = ok.reduce((a, r) => a + r.frames, 0);
  const scoredFrames = ok.filter((r) => r.status === 'done').reduce((a, r) => a + r.frames, 0);
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  const summary: BatchSummary = {
    outDir: o.outDir,
    shard: o.shard,
    allVideos: o.allVideos.map((v) => v.name),
    settings: o.settings,
    providers: models.ensemble.providers,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    singleFile,
    videos: results,
    totals: {
      videos: results.length,
      done: results.filter((r) => r.status === 'done').length,
      skipped: results.filter((r) => r.status === 'skipped').length,
      failed: results.length - ok.length,
      frames,
      scoredFrames,
      seconds,
      framesPerSecond: seconds ? scoredFrames / seconds : 0,
    },
  };
  writeFileAtomic(join(o.outDir, SUMMARY_NAME), JSON.stringify(summary, null, 2) + '\n', `--out-dir ${join(o.outDir, SUMMARY_NAME)}`);
  return summary;
}

async function runOne(
  video: BatchVideo,
  models: BatchModels,
  ledger: FinishedLedger,
  settingsKey: string,
  o: BatchOptions,
): Promise<VideoResult> {
  const started = performance.now();
  const target = o.frameCounts?.get(video.name);
  try {
    const finished = ledger.complete(video, settingsKey);
    // A video kept short by --accept-short is done only for a run that accepts short videos.
    if (finished && (!finished.short || o.acceptShort)) return { ...finished, status: 'skipped' };
    o.events.videoStarted(video);
    const st = statSync(video.path);
    const s = o.settings;
    const result = await runVideoJob(video.path, models.detector, models.ensemble, {
      batchSize: o.batchSize,
      detectEvery: s.detectEvery,
      reidentify: reidentifyOptions(s.reidentify, models.describer),
      acceptShort: o.acceptShort,
      smooth: s.smooth,
      faces: s.faces,
      fill: s.fill,
      keepLandmarks: s.landmarks,
      frameCount: target === undefined ? undefined : { target, pad: o.pad },
      onProgress: (n) => o.events.framesDone(video, n),
    });
    // abaw-expr-single: each video's own abaw-expr files are the resumable unit; the single file joins them.
    const perVideoFormat = s.format === 'abaw-expr-single' ? 'abaw-expr' : s.format;
    const out = perVideoFormat === 'abaw-expr' ? o.outDir : join(o.outDir, `${video.name}.${perVideoFormat}`);
    const files = writeVideoOutputs(out, perVideoFormat, [{ name: video.name, frames: result.frames, reported: result.reported }], {
      folder: true,
      landmarks: s.landmarks,
      inputs: o.inputs,
    });
    const { stats } = result;
    const entry: FinishedVideo = {
      name: video.name,
      path: video.path,
      size: st.size,
      mtimeMs: st.mtimeMs,
      settings: settingsKey,
      outputs: files.map((f) => relative(o.outDir, f)),
      frames: stats.frames,
      framesWithFace: stats.framesWithFace,
      faces: stats.faces,
      tracks: stats.tracks,
      seconds: (performance.now() - started) / 1000,
      frameCount: result.frameCountChange,
      short: result.short,
    };
    ledger.record(entry);
    return { ...entry, status: 'done' };
  } catch (err) {
    return {
      status: 'failed',
      name: video.name,
      path: video.path,
      error: String((err as Error).message ?? err).split('\n')[0],
      seconds: (performance.now() - started) / 1000,
    };
  }
}
