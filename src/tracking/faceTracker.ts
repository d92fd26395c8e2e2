import { munkres } from 'munkres';
import { looksLikeFace } from '../detection/faceLikeness.js';
import type { Detection } from '../detection/detector.js';
import { centreDistance, iou, sizeRatio, type Box } from '../image/rgbImage.js';
import { BoxMotion } from './boxMotion.js';
import { euclidean } from './identityGallery.js';
import { boxFromLandmarks, calibrateBox, type BoxCalibration } from './landmarkGeometry.js';

export interface TrackerOptions {
  /**
   * Gate for a detection to continue a track: overlap with the track's predicted box at least this, or the
   * centres within `maxCentreShift` box sizes, widened by a fifth for each frame since the track was last
   * seen (a fast face moves further between detections than it overlaps).
   */
  minIou?: number;
  maxCentreShift?: number;
  /** Frames a track that the detector missed can still be picked up again with its ID (short occlusions). */
  maxGapFrames?: number;
  /**
   * A detection more than this many face sizes from both a track's prediction and its last box continues the
   * track only if it looks like it (descriptor within REATTACH_MAX_DISTANCE). Refusing sometimes splits one
   * person's track (a fast face, a jump), an ID switch that only a whole-video identity pass joins again; taking
   * someone else gives one ID to two people, which nothing undoes. So file mode, which has that pass, asks it
   * from FAR_TAKEOVER_WITH_PASS face sizes on; `serve` from FAR_TAKEOVER (the default; docs/tracking.md).
   */
  farTakeover?: number;
}

/** A face followed across frames. Its box is the latest detection, or where its landmarks place it. */
export interface Track {
  /** The reported ID; re-identification may give a new track the ID of someone seen before (`adopt`). */
  id: number;
  /** The frame the track was started on. */
  readonly firstFrame: number;
  /** A detection is wanted from this frame on: its landmarks stopped fitting a face (set by the labeler). */
  redetectAt?: number;
  /** The frame of its latest appearance descriptor (re-identification), if any, and the descriptor. */
  describedAt?: number;
  descriptor?: Float32Array;
  /** Set once re-identification gave it the ID of someone seen before. */
  reidentified?: boolean;
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
  /**
   * Lost at a scene cut (`cut` with appearance): it may take a face back only if the face is known to look like
   * it (descriptor within REATTACH_MAX_DISTANCE), never by where it is alone.
   */
  lostAtCut?: boolean;
  /** Frames this track labelled, and the sum of their box areas: how main a face it is. */
  frames: number;
  areaSum: number;
  /** Set when the track was found not to be a face: it is reported no more, even in frames already placed. */
  discarded?: boolean;
  /** Its box's motion, learnt from the detections assigned to it. */
  motion: BoxMotion;
}

/** Widest gate, in face sizes between the predicted and the detected centre (see cost()). */
const MAX_GATE = 1.5;
/**
 * Overlap between a detection and a live track's predicted box above which that detection is the live
 * track's face, never a lost track's: a lost track's prediction must not claim a face someone visible has.
 */
const LIVE_CLAIM_IOU = 0.3;
/** Overlap between two tracks' landmark-placed crops above which both ask for a detection (one may be drifting onto the other). */
const CROPS_OVERLAP_IOU = 0.3;

/**
 * How far a landmark-placed crop may depart from its motion prediction (centre shift in face sizes, size ratio)
 * before the detector is asked to look: landmarks that slide onto a neighbour move the crop where the face's
 * own motion does not go (on a composite, a covered woman's crop shrank 305 -> 192 px onto a man's face). At
 * 0.5 face sizes / 1.25 the synthetic clips lost 0.013 IDF1 to extra re-association; at 1 / 1.5 they lose nothing
 * and the real composites looked at gain 0.002 (seeds 1-24): a guard against large drifts, not a fix for small ones.
 */
const DRIFT_MAX_SHIFT = 1.0;
const DRIFT_MAX_SCALE = 1.5;

/** Cost added for re-attaching a lost track rather than continuing a live one. */
const LOST_PENALTY = 0.3;
/**
 * Weight of the appearance distance (descriptors, 0.2-0.5 for one person, 0.6 and more for two) in the cost of an
 * ambiguous pair: enough to undo a swap that motion alone would make when two faces cross.
 */
const APPEARANCE_WEIGHT = 0.5;
const UNMATCHABLE = 1e6;
/**
 * Largest descriptor distance at which a lost track may take back a face, or a live track a face that only its
 * landmark-placed crop reaches (its crop may have drifted onto a neighbour). Measured on real faces
 * (npm run bench:reid-distances, faces aligned by their landmarks: 2,982 same-person and 5,274 different-people
 * pairs in the shared videos): 98.4% of same-person pairs lie within it and 0.04% of different-people pairs; among
 * the photos of 377 people in wild_expressions_dev, 3.3% of different-people pairs (21.7% within the old 0.65 with
 * box-framed descriptors). Kept at 0.65 with aligned descriptors, synthetic clip 7's two people shared an ID over its
 * cut. A refused face starts a track of its own, which re-identification or the whole-video identity pass may still
 * give the right ID; a face taken by the wrong track gives one ID to two people.
 */
export const REATTACH_MAX_DISTANCE = 0.6;
/** Size ratio to a track's prediction past which a detection must look like the track (unlikeItsMotion). */
const RISKY_SCALE = 1.4;
/**
 * The default `farTakeover`, for online IDs (`serve`): a face more than a face size from where a track is and
 * where it goes must look like it. Composites, online IDs, 1-24 / 25-36 / 49-60, measured with the gallery at 0.55
 * (docs/tracking.md has the final numbers at 0.50): IDF1 0.832 / 0.760 / 0.833 -> 0.832 / 0.758 / 0.846, switches
 * 24 / 14 / 6 -> 29 / 16 / 6, and people50's ID on two people gone (at 0.5 face sizes: 0.826 / 32 and 0.757 / 18 on
 * the first two).
 */
export const FAR_TAKEOVER = 1;
/**
 * `farTakeover` where a whole-video identity pass follows (file mode, batch), which joins a split track again.
 * Composites, whole-video pass, 1-24 / 25-36 / 49-60, gallery at 0.55 as above: 0.849 / 0.773 / 0.837 (8 / 6 / 2
 * switches) without the rule -> 0.849 / 0.775 / 0.847 (6 / 6 / 4), and the IDs on two people of people7 and
 * people50 gone.
 */
export const FAR_TAKEOVER_WITH_PASS = 0.5;
/**
 * Overlap a weak candidate (a box the detector scored below its threshold) needs with a live track's predicted
 * or last box to continue it: ByteTrack's second-pass threshold, tighter than a face's gate, since a weak box
 * is only trusted where a face is expected. (0.3 let a piece of a half-hidden face continue a track, which
 * then drifted off; docs/tracking.md.)
 */
const WEAK_MIN_IOU = 0.5;
/** Largest size ratio (side) between a weak candidate and the track's predicted box: part of a face is not one. */
const WEAK_MAX_SCALE = 1.5;

/**
 * Keeps stable face IDs across frames. Each track has a motion model (constant-velocity Kalman filter on its
 * box); a frame's detections are assigned to live tracks and to tracks lost within `maxGapFrames` in one
 * optimal assignment (Hungarian), on a cost that combines the overlap with each track's predicted box and the
 * distance between centres, gated, with a penalty for lost tracks; the rest start new tracks. Between
 * detections a track's crop follows its landmarks, moved on by its velocity over the landmarks' lag.
 * A scene cut ends every track: after a cut, the same place in the frame is not the same person.
 */
export class FaceTracker {
  private live: Track[] = [];
  private lost: Track[] = [];
  private nextId = 1;
  private readonly minIou: number;
  private readonly maxGapFrames: number;
  private readonly maxCentreShift: number;
  private readonly farTakeover: number;

  constructor(options: TrackerOptions = {}) {
    this.minIou = options.minIou ?? 0.2;
    this.maxCentreShift = options.maxCentreShift ?? 0.6;
    this.maxGapFrames = options.maxGapFrames ?? 30;
    this.farTakeover = options.farTakeover ?? FAR_TAKEOVER;
  }

  get active(): readonly Track[] {
    return this.live;
  }

  /**
   * A scene cut. Without `byAppearance` every track ends. With it (re-identification across cuts), the tracks on
   * screen may take back a face at the cut frame's detection (the next `update`), and only where the face looks
   * like theirs; those that take none end there, as do tracks lost before the cut. A cut
   * that is no cut (a large part of the picture changing at once) or a cut back to the same person keeps one
   * track, while where the shot puts someone else the face starts a track of its own (re-identification may
   * still find its ID). Why: a track ended at every cut came back only by re-identification, within the gallery's
   * stricter bound, and often several detections later (docs/tracking.md, composites).
   */
  cut(frameIndex: number, byAppearance = false): void {
    this.lost = [];
    if (byAppearance)
      for (const t of this.live.filter((t) => t.descriptor)) {
        t.lostAt = frameIndex;
        t.lostAtCut = true;
        this.lost.push(t);
      }
    this.live = [];
  }

  /** Ends a track that turned out not to be a face; its ID is never reported again. */
  discard(track: Track): void {
    track.discarded = true;
    this.live = this.live.filter((t) => t !== track);
    this.lost = this.lost.filter((t) => t !== track);
  }

  /**
   * Gives `track` the ID of someone seen before (re-identified by appearance). Any other track still holding
   * that ID, lost or live, ends: one person is one ID.
   */
  adopt(track: Track, id: number): void {
    const other = (t: Track) => t !== track && t.id === id;
    this.live = this.live.filter((t) => !other(t));
    this.lost = this.lost.filter((t) => !other(t));
    track.id = id;
  }

  /**
   * The detections whose appearance must be looked at (re-identification on), by index:
   * - ambiguous ones, within the gate of two or more tracks or sharing a track's gate with another detection,
   *   among tracks not detected on the previous frame: their descriptors settle the assignment (`update`);
   * - risky ones, that a lost track could take back, or a live track only where its landmark-placed crop is
   *   (not its motion prediction): the crop may have drifted onto someone else, and a lost track's place may
   *   now be another person's (one passed in front, or came in where the other left). `update` then refuses
   *   the pair if the faces are too far apart in appearance (REATTACH_MAX_DISTANCE).
   */
  ambiguous(frameIndex: number, detections: Detection[]): number[] {
    // A track detected on the previous frame is placed well by motion (with the detector on every frame, a
    // stale descriptor of a turned face did more harm than good: IDF1 0.880 -> 0.866 on the clips).
    const uncertain = (t: Track) => t.lostAtCut === true || frameIndex - t.motion.lastFrame > 1;
    const candidates = [...this.live, ...this.lost.filter(this.withinGap(frameIndex))].filter(uncertain);
    const gated = candidates.map((t) => detections.map((d) => this.cost(t, d.box, frameIndex) < UNMATCHABLE));
    const risky = (c: number) =>
      candidates.some(
        (t, r) => t.descriptor && gated[r][c] && (!this.live.includes(t) || this.unlikeItsMotion(t, detections[c].box, frameIndex)),
      );
    return detections.flatMap((_, c) => {
      const tracks = gated.filter((row) => row[c]);
      return tracks.length >= 2 || tracks.some((row) => row.filter(Boolean).length >= 2) || risky(c) ? [c] : [];
    });
  }

  /**
   * Matches a frame's detections to tracks; returns the live tracks, each with its detection's box: first one
   * per detection, in detection order, then the live tracks that a weak candidate continued (ByteTrack's
   * second pass: a blurred or turned face that the detector scored low keeps its track, and a weak candidate
   * never starts one). `descriptors` (by detection index, for ambiguous ones) add the appearance distance to
   * tracks that have one.
   */
  update(frameIndex: number, detections: Detection[], descriptors?: ReadonlyMap<number, Float32Array>, weak: Detection[] = []): Track[] {
    this.lost = this.lost.filter(this.withinGap(frameIndex));
    const candidates = [...this.live, ...this.lost];
    const distance = (t: Track, c: number) => {
      const d = descriptors?.get(c);
      return d && t.descriptor ? euclidean(d, t.descriptor) : undefined;
    };
    // A detection on a live track's predicted box belongs to someone on screen: no lost track may take it.
    const predictedLive = this.live.map((t) => t.motion.at(frameIndex));
    const onLiveFace = detections.map((d) => predictedLive.some((p) => iou(p, d.box) > LIVE_CLAIM_IOU));
    // Candidates are the live tracks, then the lost ones.
    const cost = candidates.map((t, r) =>
      detections.map((d, c) => {
        const lost = r >= this.live.length;
        if (lost && onLiveFace[c]) return UNMATCHABLE;
        const motion = this.cost(t, d.box, frameIndex);
        if (motion >= UNMATCHABLE) return motion;
        const apart = distance(t, c);
        // Taking back a face where a lost track was, or where a live track's crop (not its motion) is, needs
        // the face to look like the track's: else it is someone else, who starts a track of their own.
        if (t.lostAtCut && (apart === undefined || apart > REATTACH_MAX_DISTANCE)) return UNMATCHABLE;
        if (apart !== undefined && apart > REATTACH_MAX_DISTANCE && (lost || this.unlikeItsMotion(t, d.box, frameIndex)))
          return UNMATCHABLE;
        return motion + (apart === undefined ? 0 : APPEARANCE_WEIGHT * apart) + (lost ? LOST_PENALTY : 0);
      }),
    );
    const matchedTrack = new Map<number, Track>();
    if (candidates.length && detections.length) {
      for (const [r, c] of munkres(cost) as [number, number][]) if (cost[r][c] < UNMATCHABLE) matchedTrack.set(c, candidates[r]);
    }
    const taken = new Set(matchedTrack.values());
    const continued = this.matchWeak(
      frameIndex,
      this.live.filter((t) => !taken.has(t)),
      weak,
    );
    for (const t of continued.keys()) taken.add(t);
    for (const t of candidates) t.redetectAt = undefined;
    const next: Track[] = [];
    const detected = (t: Track, d: Detection) => {
      if (t.lostAtCut) {
        // Over a cut only who it is carries on: its motion, landmarks, roll and crop calibration were the other
        // shot's (kept, composite people13's face was rejected as no face at every detection for 40 frames).
        t.motion = new BoxMotion(d.box, frameIndex);
        t.history = [];
        t.angle = 0;
        t.calibration = undefined;
      } else t.motion.update(d.box, frameIndex);
      t.box = d.box;
      t.detectorScore = d.score;
      t.lastDetectedFrame = frameIndex;
      t.lostAt = undefined;
      t.lostAtCut = undefined;
      next.push(t);
    };
    detections.forEach((d, i) => {
      const t = matchedTrack.get(i);
      if (t) detected(t, d);
      else
        next.push({
          id: this.nextId++,
          firstFrame: frameIndex,
          box: d.box,
          angle: 0,
          detectorScore: d.score,
          history: [],
          lastDetectedFrame: frameIndex,
          frames: 0,
          areaSum: 0,
          motion: new BoxMotion(d.box, frameIndex),
        });
    });
    for (const [t, d] of continued) detected(t, d);
    // The gap is counted from here, not from the last detection: a face followed by its landmarks since the
    // previous scheduled detection was seen until now.
    for (const t of this.live) if (!taken.has(t)) t.lostAt = frameIndex;
    // Tracks kept over a cut had this one detection to take their face back.
    this.lost = [...this.lost.filter((t) => !taken.has(t) && !t.lostAtCut), ...this.live.filter((t) => !taken.has(t))];
    this.live = next;
    return next;
  }

  /** The live tracks that the weak candidates continue: optimal assignment on overlap, within WEAK_MIN_IOU. */
  private matchWeak(frameIndex: number, tracks: Track[], weak: Detection[]): Map<Track, Detection> {
    const continued = new Map<Track, Detection>();
    if (!tracks.length || !weak.length) return continued;
    const cost = tracks.map((t) => {
      const predicted = t.motion.at(frameIndex);
      return weak.map((d) => {
        const overlap = Math.max(iou(predicted, d.box), iou(t.box, d.box));
        const scale = sizeRatio(d.box, predicted);
        return overlap >= WEAK_MIN_IOU && scale <= WEAK_MAX_SCALE && scale >= 1 / WEAK_MAX_SCALE ? 1 - overlap : UNMATCHABLE;
      });
    });
    for (const [r, c] of munkres(cost) as [number, number][]) if (cost[r][c] < UNMATCHABLE) continued.set(tracks[r], weak[c]);
    return continued;
  }

  /** A lost track can still be picked up at `frameIndex` (lost no more than `maxGapFrames` before). */
  private withinGap(frameIndex: number): (t: Track) => boolean {
    return (t) => frameIndex - (t.lostAt ?? t.lastDetectedFrame) <= this.maxGapFrames;
  }

  /**
   * A face a live track reaches, but not as its motion says: only through its landmark-placed box, or at a size
   * RISKY_SCALE or more off its prediction (faces do not shrink or grow that much between two detections; a
   * crop carried on by a face that left does: composites people7 and people16, a woman's track taking a man's
   * face at 0.55-0.63 of her size).
   */
  private unlikeItsMotion(track: Track, box: Box, frameIndex: number): boolean {
    const predicted = track.motion.at(frameIndex);
    const k = sizeRatio(box, predicted);
    if (this.placedOnly(track, box, frameIndex) || k >= RISKY_SCALE || k <= 1 / RISKY_SCALE) return true;
    const shift = Math.min(centreDistance(predicted, box), centreDistance(track.box, box));
    return shift > this.farTakeover * Math.sqrt(predicted.width * predicted.height);
  }

  /** Within the track's gate only thanks to its landmark-placed box, not its motion prediction. */
  private placedOnly(track: Track, box: Box, frameIndex: number): boolean {
    return this.cost(track, box, frameIndex, false) >= UNMATCHABLE && this.cost(track, box, frameIndex) < UNMATCHABLE;
  }

  /**
   * 1 - IoU with the predicted box, plus the centre shift in box sizes; UNMATCHABLE outside the gate.
   * `placed`: the box where the track was last placed counts too (default).
   */
  private cost(track: Track, box: Box, frameIndex: number, placed = true): number {
    const predicted = track.motion.at(frameIndex);
    // The prediction, or where the track was last placed, whichever the detection fits better.
    const overlap = placed ? Math.max(iou(predicted, box), iou(track.box, box)) : iou(predicted, box);
    const size = Math.sqrt(predicted.width * predicted.height);
    // Likewise the centre shift, once the last detection is more than a frame old: a face that stopped while its
    // motion carried on (or was not seen for a while) is found near its last box, far from the prediction
    // (composites, online IDs: held out 0.734 / 25 switches -> 0.743 / 22; docs/tracking.md).
    const sinceDetected = frameIndex - track.motion.lastFrame;
    const fromLast = placed && sinceDetected > 1 ? centreDistance(track.box, box) : Infinity;
    const shift = Math.min(centreDistance(predicted, box), fromLast) / size;
    const scaleOk = (b: Box) => {
      const k = sizeRatio(box, b);
      return k >= 0.5 && k <= 2;
    };
    // The further the last sighting, the less the prediction is worth: the gate widens with the frames since,
    // but in units of the face's own size and never past MAX_GATE of them: a gate that grows for ever
    // reaches a neighbour (on real footage, IDs passed between people standing side by side). A face
    // away longer comes back by appearance (re-identification), not by where it was.
    const gate = Math.min(MAX_GATE, this.maxCentreShift * (1 + Math.max(0, frameIndex - track.motion.lastFrame) / 5));
    if ((overlap < this.minIou && shift > gate) || !(scaleOk(predicted) || (placed && scaleOk(track.box)))) return UNMATCHABLE;
    return 1 - overlap + shift;
  }

  /**
   * Takes in what the members saw in a track's crop at `frameIndex` (whose box was `box`). On a detection
   * frame this calibrates how the detector's box sits on the landmarks; on later frames the landmarks
   * place the crop. Observations may arrive after later frames were placed (pipelining), in frame order.
   * False when the landmarks (between detections) no longer fit a face: the crop has lost it.
   */
  observe(track: Track, frameIndex: number, box: Box, landmarks: Float32Array | undefined, detected: boolean): boolean {
    track.frames++;
    track.areaSum += box.width * box.height;
    if (!landmarks) return true;
    // Landmarks that no longer fill their crop as a face's do (the crop drifted off a fast or turning face)
    // must not steer the next crops: the track holds its last good landmarks and motion until a detection.
    if (!detected && !looksLikeFace(landmarks, box)) return false;
    // The motion model learns from detections only (in update(), in frame order): landmark observations
    // arrive a frame or two late, in an order that depends on batching, and results must not.
    if (detected) track.calibration = calibrateBox(box, landmarks);
    track.history.push({ frameIndex, landmarks });
    if (track.history.length > 4) track.history.shift();
    return true;
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
      // The landmarks are `lag` or more frames old: move the crop on by the face's velocity since then.
      const { x: vx, y: vy } = t.motion.velocity;
      const dt = frameIndex - seen.frameIndex;
      t.box = { ...t.box, x: t.box.x + vx * dt, y: t.box.y + vy * dt };
    }
    const inside = (b: Box) =>
      b.x + b.width / 2 >= 0 && b.x + b.width / 2 < width && b.y + b.height / 2 >= 0 && b.y + b.height / 2 < height;
    this.live = this.live.filter((t) => inside(t.box));
    // A crop whose landmarks took it far from where its motion says the face is, or to another size: it may be
    // sliding onto someone else (a neighbour, a face behind). The detector looks on the next frame.
    for (const t of this.live) {
      const predicted = t.motion.at(frameIndex);
      const size = Math.sqrt(predicted.width * predicted.height);
      if (
        centreDistance(t.box, predicted) > DRIFT_MAX_SHIFT * size ||
        Math.abs(Math.log(sizeRatio(t.box, predicted))) > Math.log(DRIFT_MAX_SCALE)
      )
        t.redetectAt = Math.min(t.redetectAt ?? Infinity, frameIndex + 1);
    }
    // Two crops on one place: one of them may be following its landmarks onto the other's face. The detector
    // runs on the next frame and re-associates both, rather than two IDs labelling one face.
    for (const [i, a] of this.live.entries()) {
      for (const b of this.live.slice(i + 1)) {
        if (iou(a.box, b.box) <= CROPS_OVERLAP_IOU) continue;
        a.redetectAt = Math.min(a.redetectAt ?? Infinity, frameIndex + 1);
        b.redetectAt = Math.min(b.redetectAt ?? Infinity, frameIndex + 1);
      }
    }
    return this.live;
  }
}
