import type { Detector } from '../detection/detector.js';
import type { Ensemble } from '../models/ensemble.js';
import type { VideoInfo } from '../video/probeVideo.js';
import type { FaceRecord, FrameRecord } from './faceRecords.js';
import { scoreVideo, type ScoreVideoOptions } from './scoreVideo.js';
import { interpolateGaps, selectFaces, type FaceMode } from './selectFaces.js';
import { smoothTracks } from './smoothTracks.js';
import { JOIN_MAX_DISTANCE, joinTracklets } from './joinTracklets.js';
import { FAR_TAKEOVER_WITH_PASS } from '../tracking/faceTracker.js';

/** How a video's frames become the faces its outputs report (the settings that decide its outputs). */
export interface VideoJobOptions extends ScoreVideoOptions {
  /** Centred moving average over each track, in frames (1: none). */
  smooth: number;
  faces: FaceMode;
  /** `interpolate`: a reported face's frames without it get probabilities interpolated between its neighbours. */
  fill: 'none' | 'interpolate';
  /** The organisers' frame count: the extra frames at the end dropped, missing ones padded (`pad`). */
  frameCount?: { target: number; pad: 'last' | 'none' };
  /**
   * With re-identification on, join the online tracker's IDs over the whole video by appearance (one person,
   * one ID; pipeline/joinTracklets.ts). Default true; false keeps the online IDs, as `serve` reports them.
   */
  identityPass?: boolean;
  /** The identity pass's largest mean descriptor distance between two IDs of one person (JOIN_MAX_DISTANCE). */
  joinDistance?: number;
  /** The identity pass's bridges (joinTracklets' bridgeGap; 0: off); for the benchmark. */
  bridgeGap?: number;
  /** TrackerOptions.farTakeover (face sizes); default FAR_TAKEOVER_WITH_PASS with the identity pass; for the benchmark. */
  farTakeover?: number;
}

/** The job's whole-video steps left out (no smoothing, every face, no filling): the benches' raw records. */
export const RAW_FRAMES = { smooth: 1, faces: 'all', fill: 'none' } as const;

/** One person as the outputs report them: a name suffix (`''`, `left`, `track3`) and, per frame, their face and probabilities. */
export interface ReportedFace {
  role: string;
  faces: (FaceRecord | undefined)[];
  /** `faces[i].probs`, or with `fill: interpolate` probabilities filled in for frames without the face. */
  probs: (Float64Array | undefined)[];
}

/** How an output's length was forced to the organisers' frame count. */
export interface FrameCountChange {
  decoded: number;
  target: number;
  /** Lines added (copies of the last label, or -1) or removed at the end. */
  padded: number;
  trimmed: number;
}

/** A scored video as the sinks take it: plain records, every whole-video step done. */
export interface VideoJobResult {
  info: VideoInfo;
  frames: FrameRecord[];
  reported: ReportedFace[];
  stats: {
    frames: number;
    framesWithFace: number;
    faces: number;
    tracks: number;
    /** IDs the whole-video identity pass joined into others. */
    joins: number;
    detectedFrames: number;
    seconds: number;
    framesPerSecond: number;
  };
  damage: string[];
  damageCount: number;
  /** Why the file ended early, when `acceptShort` let its frames stand. */
  short?: string;
  frameCountChange?: FrameCountChange;
}

/**
 * The whole-video job every command runs (file mode, folders, batch, the benches): decode and label every
 * frame, smooth each track, force the organisers' frame count, choose the reported faces and fill their
 * gaps, and count what happened. Writing is the sinks' job.
 */
export async function runVideoJob(
  video: string | VideoInfo,
  detector: Detector,
  ensemble: Ensemble,
  o: VideoJobOptions,
): Promise<VideoJobResult> {
  const identityPass = o.reidentify !== undefined && o.identityPass !== false;
  // A track split online is joined again by the identity pass, so the tracker may refuse a doubtful takeover.
  const scored = await scoreVideo(video, detector, ensemble, {
    ...o,
    farTakeover: o.farTakeover ?? (identityPass ? FAR_TAKEOVER_WITH_PASS : undefined),
  });
  let frames = scored.frames;
  let joins = 0;
  if (o.reidentify && identityPass)
    ({ frames, joins } = joinTracklets(frames, {
      maxDistance: o.joinDistance ?? JOIN_MAX_DISTANCE,
      bridgeGap: o.bridgeGap,
      acrossCuts: o.reidentify.acrossCuts === true,
    }));
  if (o.smooth > 1) frames = smoothTracks(frames, o.smooth);
  let frameCountChange: FrameCountChange | undefined;
  if (o.frameCount) ({ frames, change: frameCountChange } = forceFrameCount(frames, o.frameCount.target, o.frameCount.pad));
  const reported = selectFaces(frames, o.faces, scored.info.width).map((s) => {
    const probs = s.faces.map((f) => f?.probs);
    return { role: s.role, faces: s.faces, probs: o.fill === 'interpolate' ? interpolateGaps(probs) : probs };
  });
  return {
    info: scored.info,
    frames,
    reported,
    stats: {
      frames: frames.length,
      framesWithFace: frames.filter((f) => f.faces.length).length,
      faces: frames.reduce((a, f) => a + f.faces.length, 0),
      tracks: new Set(frames.flatMap((f) => f.faces.map((x) => x.trackId))).size,
      joins,
      detectedFrames: frames.filter((f) => f.detected).length,
      seconds: scored.seconds,
      framesPerSecond: scored.seconds ? scored.frames.length / scored.seconds : 0,
    },
    damage: scored.damage,
    damageCount: scored.damageCount,
    short: scored.short,
    frameCountChange,
  };
}

/**
 * Frames forced to `target`: the extra ones at the end dropped, or missing ones added as copies of the last
 * frame's faces (`pad: 'last'`: the same label goes on) or with no face (`pad: 'none'`: -1).
 */
export function forceFrameCount(
  frames: FrameRecord[],
  target: number,
  pad: 'last' | 'none',
): { frames: FrameRecord[]; change: FrameCountChange } {
  const change = {
    decoded: frames.length,
    target,
    padded: Math.max(0, target - frames.length),
    trimmed: Math.max(0, frames.length - target),
  };
  if (frames.length >= target) return { frames: frames.slice(0, target), change };
  const last = frames.at(-1);
  const added = Array.from({ length: target - frames.length }, (_, k): FrameRecord => ({
    frameIndex: frames.length + k,
    ptsMs: last ? last.ptsMs : 0,
    faces: pad === 'last' && last ? last.faces : [],
    detected: false,
    sceneCut: false,
  }));
  return { frames: [...frames, ...added], change };
}
