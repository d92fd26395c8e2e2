import { defer, lastValueFrom, tap, toArray, type Observable } from 'rxjs';
import type { Detector } from '../detection/detector.js';
import type { Ensemble } from '../models/ensemble.js';
import { probeVideo, type VideoInfo } from '../video/probeVideo.js';
import { videoFrames } from '../video/videoFrames.js';
import type { FrameRecord } from './faceRecords.js';
import { FlowGate } from '../video/flowGate.js';
import { labelVideoFaces } from './labelVideoFaces.js';
import { VideoFaceLabeler, type LabelerOptions } from './videoFaceLabeler.js';

const BUFFER_BYTES = 128 << 20;
/** Decoded frames one batch may hold (about 90 frames of 720p, 40 of 1080p, 10 of 4K). */
export const BATCH_BYTES = 256 << 20;

export interface ScoreVideoOptions extends LabelerOptions {
  /** Frames labelled per batch (detection-every-frame mode batches detector and members over them). */
  batchSize: number;
  /**
   * Frames decoded ahead of labelling at most; decoding pauses beyond it. Default 2 batches or 128 MB,
   * at least a batch and one: decoding runs 2-3 times faster than labelling, so more only holds memory.
   */
  maxBufferedFrames?: number;
  maxFrames?: number;
  /** `--accept-short`: a file that ends early is scored as far as it goes, and `short` says why (else an error). */
  acceptShort?: boolean;
  onProgress?: (framesDone: number, info: VideoInfo) => void;
}

export interface ScoredVideo {
  info: VideoInfo;
  /** One record per decoded frame, `frames[i].frameIndex === i`. */
  frames: FrameRecord[];
  seconds: number;
  /** ffmpeg's messages about damaged data it decoded past (first 20). */
  damage: string[];
  damageCount: number;
  /** Why the file ended early, when `acceptShort` let its frames stand. */
  short?: string;
}

/**
 * The streaming core of file mode: every decoded frame of a probed video, labelled, one record per frame
 * emitted as soon as it is labelled, in frame order. Decoding pauses while labelling is behind (never a
 * dropped frame), so memory does not grow with the video's length.
 */
export function labelledVideoFrames(
  info: VideoInfo,
  detector: Detector,
  ensemble: Ensemble,
  options: ScoreVideoOptions,
  onDamage?: (line: string) => void,
  onShort?: (message: string) => void,
): Observable<FrameRecord> {
  return defer(() => {
    const frameBytes = info.width * info.height * 3;
    // A batch holds its frames until all are labelled: at most BATCH_BYTES of them, whatever --batch asks
    // (--batch 100000 with the detector on every frame reached 5 GB).
    const batchSize = Math.max(1, Math.min(options.batchSize, Math.floor(BATCH_BYTES / frameBytes)));
    options = { ...options, batchSize };
    // More than a batch, or bufferCount would wait for frames the closed gate holds back.
    const byMemory = Math.floor(BUFFER_BYTES / frameBytes);
    const high = Math.max(options.batchSize + 1, options.maxBufferedFrames ?? Math.min(options.batchSize * 2, byMemory));
    const gate = new FlowGate(high, Math.min(options.batchSize, high - 1));
    const labeler = new VideoFaceLabeler(detector, ensemble, options);
    return videoFrames(info, {
      gate,
      maxFrames: options.maxFrames,
      onDamage,
      acceptShort: options.acceptShort ? (onShort ?? (() => {})) : undefined,
    }).pipe(labelVideoFaces(labeler, options.batchSize, gate));
  });
}

/**
 * Decodes every frame of a video file (a path, or what probeVideo already said of it) and labels its faces;
 * the whole result or an error, nothing partial. Whole-video steps (centred smoothing, gap filling, the
 * main face by summed area) run on this result.
 */
export async function scoreVideo(
  video: string | VideoInfo,
  detector: Detector,
  ensemble: Ensemble,
  options: ScoreVideoOptions,
): Promise<ScoredVideo> {
  const started = performance.now();
  const info = typeof video === 'string' ? await probeVideo(video) : video;
  const damage: string[] = [];
  let damageCount = 0;
  const onDamage = (line: string) => damageCount++ < 20 && damage.push(line);
  let short: string | undefined;
  const frames = await lastValueFrom(
    labelledVideoFrames(info, detector, ensemble, options, onDamage, (message) => (short = message)).pipe(
      tap((r) => options.onProgress?.(r.frameIndex + 1, info)),
      toArray(),
    ),
  );
  frames.forEach((r, i) => {
    if (r.frameIndex !== i) throw new Error(`internal: frame record ${i} carries frameIndex ${r.frameIndex}`);
  });
  return { info, frames, seconds: (performance.now() - started) / 1000, damage, damageCount, short };
}
