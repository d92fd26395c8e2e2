import type { Detection } from '../detection/nonMaxSuppression.js';
import { iou, type Box } from '../image/rgbImage.js';
import { boxFromLandmarks, calibrateBox, type BoxCalibration } from './landmarkGeometry.js';

export interface TrackerOptions {
  /** Least overlap for a detection to continue a track. */
  minIou?: number;
  /** Frames a track that the detector missed can still be picked up again with its ID (short occlusions). */
  maxGapFrames?: number;
}

/** A face followed across frames. Its box is the latest detection, or where its landmarks place it. */
export interface Track {
  readonly id: number;
  box: Box;
  /** Roll from the latest landmarks (0 until there are some). */
  angle: number;
  /** Score of the detection that last confirmed it. */
  detectorScore: number;
  /** The latest landmarks the members gave, with their frame. */
  history: { frameIndex: number; landmarks: Float32Array }[];
  calibration?: BoxCalibration;
  lastDetectedFrame: number;
  /** The detection frame that did not find it (it is lost, and kept for `maxGapFrames` from here). */
  lostAt?: number;
  /** Frames this track labelled, and the sum of their box areas: how main a face it is. */
  frames: number;
  areaSum: number;
  /** Set when the track was found not to be a face: it is reported no more, even in frames already placed. */
  discarded?: boolean;
}

/**
 * Keeps stable face IDs across frames. Detections continue the track they overlap most (greedy by IoU),
 * first among live tracks, then among tracks lost within `maxGapFrames`; the rest start new tracks.
 * A scene cut ends every track: after a cut, the same place in the frame is not the same person.
 */
export class FaceTracker {
  private live: Track[] = [];
  private lost: Track[] = [];
  private nextId = 1;
  private readonly minIou: number;
  private readonly maxGapFrames: number;

  constructor(options: TrackerOptions = {}) {
    this.minIou = options.minIou ?? 0.3;
    this.maxGapFrames = options.maxGapFrames ?? 15;
  }

  get active(): readonly Track[] {
    return this.live;
  }

  /** Ends every track (a scene cut). */
  cut(): void {
    this.live = [];
    this.lost = [];
  }

  /** Ends a track that turned out not to be a face; its ID is never reported again. */
  discard(track: Track): void {
    track.discarded = true;
    this.live = this.live.filter((t) => t !== track);
    this.lost = this.lost.filter((t) => t !== track);
  }

  /** Matches a frame's detections to tracks; returns the live tracks, each with its detection's box. */
  update(frameIndex: number, detections: Detection[]): Track[] {
    this.lost = this.lost.filter((t) => frameIndex - (t.lostAt ?? t.lastDetectedFrame) <= this.maxGapFrames);
    const unmatched = new Set(detections.map((_, i) => i));
    const next: Track[] = [];
    for (const pool of [this.live, this.lost]) {
      const pairs: [number, Track, number][] = [];
      for (const t of pool) for (const i of unmatched) {
        const o = iou(t.box, detections[i].box);
        if (o >= this.minIou) pairs.push([o, t, i]);
      }
      pairs.sort((a, b) => b[0] - a[0]);
      const taken = new Set<Track>();
      for (const [, t, i] of pairs) {
        if (taken.has(t) || !unmatched.has(i)) continue;
        taken.add(t);
        unmatched.delete(i);
        t.box = detections[i].box;
        t.detectorScore = detections[i].score;
        t.lastDetectedFrame = frameIndex;
        next.push(t);
      }
      if (pool === this.live) {
        // The gap is counted from here, not from the last detection: a face followed by its landmarks
        // since the previous scheduled detection was seen until now.
        for (const t of this.live) if (!taken.has(t)) t.lostAt = frameIndex;
        this.lost = [...this.lost, ...this.live.filter((t) => !taken.has(t))];
      }
      else this.lost = this.lost.filter((t) => !taken.has(t));
    }
    for (const i of unmatched) {
      const d = detections[i];
      next.push({ id: this.nextId++, box: d.box, angle: 0, detectorScore: d.score, history: [], lastDetectedFrame: frameIndex, frames: 0, areaSum: 0 });
    }
    this.live = next;
    return next;
  }

  /**
   * Takes in what the members saw in a track's crop at `frameIndex` (whose box was `box`). On a detection
   * frame this calibrates how the detector's box sits on the landmarks; on later frames the landmarks
   * place the crop. Observations may arrive after later frames were placed (pipelining), in frame order.
   */
  observe(track: Track, frameIndex: number, box: Box, landmarks: Float32Array | undefined, detected: boolean): void {
    track.frames++;
    track.areaSum += box.width * box.height;
    if (!landmarks) return;
    if (detected) track.calibration = calibrateBox(box, landmarks);
    track.history.push({ frameIndex, landmarks });
    if (track.history.length > 4) track.history.shift();
  }

  /**
   * Moves live tracks to where their landmarks from frame `frameIndex - lag` or earlier put them (frames
   * the detector skips). Fixed by frame index, never by what happens to have finished, so results do not
   * depend on timing or batching. A track whose face centre leaves the `width` x `height` frame ends.
   */
  followLandmarks(frameIndex: number, lag: number, width: number, height: number): Track[] {
    for (const t of this.live) {
      const seen = t.history.filter((h) => h.frameIndex <= frameIndex - lag).pop();
      if (!seen || !t.calibration || seen.frameIndex < t.lastDetectedFrame) continue;
      ({ box: t.box, angle: t.angle } = boxFromLandmarks(seen.landmarks, t.calibration));
    }
    const inside = (b: Box) => b.x + b.width / 2 >= 0 && b.x + b.width / 2 < width && b.y + b.height / 2 >= 0 && b.y + b.height / 2 < height;
    this.live = this.live.filter((t) => inside(t.box));
    return this.live;
  }
}
