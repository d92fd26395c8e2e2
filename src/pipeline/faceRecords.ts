import type { Box } from '../image/rgbImage.js';

/** One face in one frame, as every sink sees it. */
export interface FaceRecord {
  trackId: number;
  box: Box;
  /** Roll (radians) the crop was turned by; 0 when there were no landmarks to align with yet. */
  angle: number;
  /**
   * `detector`: the box came from a detection on this frame; `landmarks`: the face was cropped where earlier
   * frames' landmarks put it, and the box is where this frame's landmarks (found in that crop) put it.
   */
  source: 'detector' | 'landmarks';
  /** Score of the detection that last confirmed this track. */
  detectorScore: number;
  /** Voted probabilities over CANONICAL_LABELS. */
  probs: Float64Array;
  /** 68 (x, y) points in frame pixels. */
  landmarks?: Float32Array;
  /**
   * The appearance descriptor taken of this face on this frame, when one was (re-identification on: a track's
   * first detection and about every 60 frames): the whole-video identity pass joins tracks by them, the swap
   * check looks for two people in one track by them. A few hundred bytes each, on a few frames; no sink writes them.
   */
  descriptor?: Float32Array;
}

/** Everything found in one decoded frame; `faces` is empty for a frame with no face. */
export interface FrameRecord {
  frameIndex: number;
  ptsMs: number;
  faces: FaceRecord[];
  /** True when the detector ran on this frame. */
  detected: boolean;
  sceneCut: boolean;
  /**
   * Re-identification gave a new track, reported so far under `provisional`, a known person's `id` on this frame:
   * the same face, so a whole-video pass may give its earlier frames that ID too.
   */
  adopted?: { provisional: number; id: number }[];
}
