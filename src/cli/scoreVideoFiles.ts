import { loadDetector } from '../detection/loadDetector.js';
import { placementLine } from '../models/ort/cpuPlacement.js';
import type { Ensemble } from '../models/ensemble.js';
import { FaceDescriber } from '../models/faceDescriber.js';
import type { Device } from '../models/ort/device.js';
import type { InferencePool } from '../models/ort/inferencePool.js';
import { InputError } from '../util/inputError.js';
import type { FaceMode } from '../pipeline/selectFaces.js';
import { reidentifyOptions, type ReidMode } from '../pipeline/videoFaceLabeler.js';
import { runVideoJob } from '../pipeline/videoJob.js';
import { videoName, writeVideoOutputs, type ScoredVideoFrames, type VideoFormat } from '../sinks/writeVideoOutputs.js';
import type { InputFiles } from '../util/outputSafety.js';
import type { VideoInfo } from '../video/probeVideo.js';

export interface VideoScoringOptions {
  out: string;
  format: VideoFormat;
  faces: FaceMode;
  smooth: number;
  fill: 'none' | 'interpolate';
  landmarks: boolean;
  /** The run's inputs, which no output may overwrite. */
  inputs?: InputFiles;
  detectEvery: number;
  batchSize: number;
  detector: 'tiny' | 'blazeface';
  detectorInputSize: number[];
  /** Re-identification by appearance: off, within a shot (default), or across scene cuts. */
  reidentify: ReidMode;
  /** `--accept-short`: score a file that ends early as far as it goes, saying so, instead of failing it. */
  acceptShort: boolean;
  log: (line: string) => void;
  progress: boolean;
}

/**
 * Scores video files one after another and writes the outputs. A video that fails is reported and
 * skipped: the others are still scored and written, and the run then fails naming it.
 */
export async function scoreVideoFiles(
  videos: (string | VideoInfo)[],
  pool: InferencePool,
  device: Device,
  ensemble: Ensemble,
  o: VideoScoringOptions,
): Promise<void> {
  const paths = videos.map((v) => (typeof v === 'string' ? v : v.path));
  const detector = await loadDetector(pool, device, o.detector, o.detectorInputSize);
  const describer = o.reidentify === 'off' ? undefined : await FaceDescriber.load(pool, device);
  const placement = placementLine(pool.placements);
  if (placement) o.log(placement);
  const scored: ScoredVideoFrames[] = [];
  const failed: string[] = [];
  for (const [i, path] of paths.entries()) {
    try {
      const result = await runVideoJob(videos[i], detector, ensemble, {
        batchSize: o.batchSize,
        detectEvery: o.detectEvery,
        reidentify: reidentifyOptions(o.reidentify, describer),
        acceptShort: o.acceptShort,
        smooth: o.smooth,
        faces: o.faces,
        fill: o.fill,
        keepLandmarks: o.landmarks,
        onProgress: o.progress
          ? (n, info) => process.stderr.write(`\r${videoName(path)}: frame ${n}${info.frameCountHint ? `/${info.frameCountHint}` : ''}`)
          : undefined,
      });
      if (o.progress) process.stderr.write('\n');
      const { info, stats } = result;
      o.log(
        `${path}: ${stats.frames} frames (${info.width}x${info.height} ${info.codec}), face in ${stats.framesWithFace}, ${stats.tracks} track(s), detector on ${stats.detectedFrames} frames, ${stats.framesPerSecond.toFixed(1)} frames/s`,
      );
      if (result.short) o.log(`warning: ${result.short}; scored as far as it goes (--accept-short)`);
      if (result.damageCount) {
        o.log(
          `${path}: ffmpeg decoded past ${result.damageCount} sign(s) of damaged data (first: ${result.damage[0]}); a frame it could not decode is not counted, as in ffprobe -count_frames`,
        );
      }
      scored.push({ name: videoName(path), frames: result.frames, reported: result.reported });
    } catch (err) {
      if (o.progress) process.stderr.write('\n');
      if (paths.length === 1) throw err;
      failed.push(`${path}: ${(err as Error).message}`);
      o.log(`skipped ${path}: ${(err as Error).message}`);
    }
  }
  if (scored.length) {
    const files = writeVideoOutputs(o.out, o.format, scored, { folder: paths.length > 1, landmarks: o.landmarks, inputs: o.inputs });
    o.log(
      `wrote ${files.length === 1 ? files[0] : `${files.length} files (${files.slice(0, 3).join(', ')}${files.length > 3 ? ', ...' : ''})`} (${o.format}, faces: ${o.faces})`,
    );
  }
  if (failed.length) throw new InputError(`${failed.length} of ${paths.length} video(s) failed: ${failed.join('; ')}`);
}
