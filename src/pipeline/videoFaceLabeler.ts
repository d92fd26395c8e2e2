import { isClearView, looksLikeFace } from '../detection/faceLikeness.js';
import type { Detection, DetectionSet, Detector } from '../detection/detector.js';
import { clipBox, iou, type Box } from '../image/rgbImage.js';
import type { Ensemble, FaceInput, FacePrediction } from '../models/ensemble.js';
import type { FaceDescriber } from '../models/faceDescriber.js';
import { FaceTracker, type Track } from '../tracking/faceTracker.js';
import { IdentityGallery } from '../tracking/identityGallery.js';
import { boxFromLandmarks } from '../tracking/landmarkGeometry.js';
import { SceneCutDetector } from '../video/sceneCutDetector.js';
import type { VideoFrame } from '../video/videoFrames.js';
import type { DetectionTurns } from './detectionTurns.js';
import type { FaceRecord, FrameRecord } from './faceRecords.js';

/**
 * Frames per detector call with the detector on every frame. On the CPU one is fastest and leanest (the
 * detector's 608x608 activations scale with the batch): samples/video.mp4 --detect-every 1 at 1/2/8 frames:
 * 17.3/16.4/15.4 frames/s, peak 730/759/1022 MB; short_hamilton_clip.mp4 26.8/26.1/24.1, 479/523/791 MB.
 */
const DETECT_BATCH = 1;

/** Frames between the landmarks that place a crop and the frame cropped: 2 lets two frames be in flight. */
const LANDMARK_LAG = 2;

/** While no face is tracked, the detector runs on every this many frames. */
const IDLE_DETECT_EVERY = 2;

/** A tracked face's appearance sample is renewed on a detection frame once it is this many frames old. */
const DESCRIPTOR_REFRESH_FRAMES = 60;

/**
 * A new track that matched no one is compared with the people seen before again, on detections up to this
 * many frames after it started, at most every REID_RETRY_EVERY frames: a face entering the frame or still
 * turned at first sight gives a poor descriptor (returning faces measured 0.57-0.65 from themselves at
 * first sight, 0.2-0.3 a few detections later; docs/tracking.md).
 */
const REID_RETRY_FRAMES = 30;
const REID_RETRY_EVERY = 10;

/** Detections started ahead per batch; each is two pool requests, and the pool's queue is bounded. */
const MAX_EARLY_DETECTIONS = 2;

/**
 * A deferred detection (`deferDetections`) is associated on a later frame at most this many frames after the one
 * it looked at; further (frames dropped between them), that frame has a detection of its own instead.
 */
const MAX_DEFERRED_FRAMES = 2;

/**
 * With `turns`, a scheduled detection gives way to another stream's at most this many frames in a row: a
 * saturated machine still detects at least every `detectEvery` + 3 frames.
 */
const MAX_YIELDED_FRAMES = 3;

export interface LabelerOptions {
  /**
   * Run the detector every `detectEvery` frames (and on scene cuts, and while no face is tracked).
   * 1: every frame, crops from detector boxes, all frames of a batch labelled in one call.
   * > 1: in between, each face's crop is placed and rolled upright by its previous frame's landmarks.
   */
  detectEvery: number;
  /** Frames per detector call. */
  detectBatch?: number;
  maxGapFrames?: number;
  /** TrackerOptions.farTakeover: lower where a whole-video identity pass follows (runVideoJob). */
  farTakeover?: number;
  sceneCutThreshold?: number;
  /**
   * Drop detections whose landmarks do not fill the box as a face's do (synthetic patterns, textures);
   * default true. A new track that fails on its first frame is discarded. See detection/faceLikeness.ts.
   */
  rejectNonFaces?: boolean;
  /**
   * Re-identification by appearance: a new track whose face matches someone seen earlier (who left, or was
   * hidden longer than `maxGapFrames`) gets that person's ID. Off when absent.
   */
  reidentify?: ReidentifyOptions;
  /**
   * Live: a scheduled detection (every `detectEvery`-th frame, while faces are tracked) does not hold its frame
   * up. The frame is labelled as the frames between detections are (crops by the landmarks), the detector runs
   * on its pixels meanwhile, and its faces are associated on the next frame (whose crops would otherwise come
   * from that detection's boxes anyway). Scene cuts, frames with nothing tracked and the detections that the
   * tracker asks for (a crop that lost its face, crops overlapping, a face coming in) wait for theirs as before.
   * Default false: it costs tracking (composites' IDF1 -0.03 to -0.04, docs/live.md) for latency.
   */
  deferDetections?: boolean;
  /**
   * Live streams sharing one worker pool: a scheduled detection that would start while another stream's
   * detection frame is being worked on is moved to the next frame, and the schedule with it (detectionTurns.ts).
   * Absent in file mode, where the schedule is fixed (every `detectEvery`-th frame) and results never depend on
   * timing.
   */
  turns?: DetectionTurns;
  /**
   * Keep each face's 68 landmarks in its record (default true). A whole video's records are held until it
   * is written, and the landmarks are most of a record: file mode keeps them only for `--landmarks`.
   */
  keepLandmarks?: boolean;
}

/** Re-identification as the commands name it: off, within a shot, or across scene cuts (the default). */
export type ReidMode = 'off' | 'within-shots' | 'across-cuts';

/** The labeler's options for a mode; none when off or without a describer. */
export function reidentifyOptions(mode: ReidMode, describer: FaceDescriber | undefined): ReidentifyOptions | undefined {
  return describer && mode !== 'off' ? { describer, acrossCuts: mode === 'across-cuts' } : undefined;
}

export interface ReidentifyOptions {
  describer: FaceDescriber;
  /** Keep IDs across scene cuts (one ID per person in the whole video); default: a cut starts new IDs. */
  acrossCuts?: boolean;
  /** Largest descriptor distance for the same person (IdentityGallery's default when absent). */
  maxDistance?: number;
}

/**
 * Finds, tracks and labels the faces of consecutive frames. Stateful: frames must come in order, each once.
 * Results depend only on the frames, never on how they were split into batches.
 */
export class VideoFaceLabeler {
  private readonly tracker: FaceTracker;
  private readonly cuts: SceneCutDetector;
  private readonly gallery?: IdentityGallery;
  /** A detection is wanted from this frame on: a face seemed to be coming in at the edge. */
  private lookAgainAt?: number;
  private edgeCandidates: Detection[] = [];
  /** The schedule's offset: frames where (frameIndex + phase) is a multiple of detectEvery (moved by `turns`). */
  private phase = 0;
  /** Frames in a row the schedule gave way to another stream's detection. */
  private yielded = 0;
  /** The frame the schedule last took its turn on (its answer stays yes when asked again). */
  private turnTakenAt = -1;
  /** Detections started by `prefetch` for frames not labelled yet, by frame index. */
  private readonly prefetched = new Map<number, Promise<DetectionSet>>();
  /** A scheduled detection left running past its frame (`deferDetections`), to be associated on the next. */
  private deferred?: { frameIndex: number; detection: Promise<DetectionSet> };

  constructor(
    private readonly detector: Detector,
    private readonly ensemble: Ensemble,
    private readonly options: LabelerOptions,
  ) {
    if (!Number.isInteger(options.detectEvery) || options.detectEvery < 1)
      throw new RangeError(`detectEvery must be a positive integer, got ${options.detectEvery}`);
    this.tracker = new FaceTracker({ maxGapFrames: options.maxGapFrames, farTakeover: options.farTakeover });
    this.cuts = new SceneCutDetector(options.sceneCutThreshold);
    if (options.reidentify) this.gallery = new IdentityGallery({ maxDistance: options.reidentify.maxDistance });
  }

  /** Labels consecutive frames; one record per frame, in order. */
  async label(frames: VideoFrame[]): Promise<FrameRecord[]> {
    // A prefetch for a frame before these (one dropped unlabelled) will not be used.
    for (const k of this.prefetched.keys()) if (k < (frames[0]?.frameIndex ?? -Infinity)) this.prefetched.delete(k);
    return this.options.detectEvery > 1 ? this.labelTracked(frames) : this.labelDetected(frames);
  }

  /**
   * Live mode: starts the detection of a frame that will be labelled later (it waits while an earlier one is
   * labelled), if it is a scheduled detection frame (every `detectEvery`-th). Its detection then runs on a free
   * worker beside the earlier frame's members rather than in front of its own. The detector depends on the
   * pixels alone, so labels are the same. Resolves once the frame's pixels are no longer read (it may be
   * dropped and released only then); undefined when nothing was started.
   */
  prefetch(frame: VideoFrame): Promise<unknown> | undefined {
    if (this.options.detectEvery <= 1 || !this.detectionScheduled(frame.frameIndex) || this.prefetched.has(frame.frameIndex))
      return undefined;
    const detection = this.detectOne(frame.image);
    detection.catch(() => undefined); // observed when its frame is labelled; a failure must not be unhandled before then
    this.prefetched.set(frame.frameIndex, detection);
    return detection.then(
      () => undefined,
      () => undefined,
    );
  }

  /**
   * Gives a labelled frame's pixels back to its source: now, or once its deferred detection (`deferDetections`),
   * which may still read them after `label` returned, is done.
   */
  releaseLabelled(frame: VideoFrame): void {
    if (this.deferred?.frameIndex !== frame.frameIndex) return frame.release?.();
    void this.deferred.detection.then(
      () => frame.release?.(),
      () => frame.release?.(),
    );
  }

  /**
   * Every `detectEvery`-th frame has a detection whatever the tracker knows (scene cuts have one too). With
   * `turns` (live), a stream tracking faces gives its turn to another stream's running detection: its schedule
   * moves on by one frame, for good, at most `MAX_YIELDED_FRAMES` in a row. Asked once per frame (prefetch or
   * label, whichever comes first); the answer for that frame is then fixed.
   */
  private detectionScheduled(frameIndex: number): boolean {
    const every = this.options.detectEvery;
    if ((frameIndex + this.phase) % every !== 0) return false;
    const turns = this.options.turns;
    if (!turns || this.turnTakenAt === frameIndex) return true;
    if (turns.busy && this.yielded < MAX_YIELDED_FRAMES && this.tracker.active.length > 0) {
      this.phase = (this.phase + every - 1) % every;
      this.yielded++;
      return false;
    }
    this.yielded = 0;
    this.turnTakenAt = frameIndex;
    return true;
  }

  /**
   * Detector on every frame, in batches; crops from its boxes, so one ensemble call labels the whole batch
   * before any tracking. Tracks are then updated and observed frame by frame, in order: what a frame's
   * labels decide (a discarded non-face, a re-identified ID) is known to the next frame's assignment.
   */
  private async labelDetected(frames: VideoFrame[]): Promise<FrameRecord[]> {
    const found: DetectionSet[] = [];
    const step = this.options.detectBatch ?? DETECT_BATCH;
    for (let i = 0; i < frames.length; i += step) found.push(...(await this.detectSets(frames.slice(i, i + step).map((f) => f.image))));
    const preds = await this.ensemble.predict(
      frames.flatMap((frame, i) => found[i].faces.map((d) => ({ image: frame.image, box: d.box, angle: 0 }))),
    );
    const records: FrameRecord[] = [];
    let k = 0;
    for (const [i, frame] of frames.entries()) {
      const sceneCut = this.cuts.isCut(frame.image);
      if (sceneCut) this.tracker.cut(frame.frameIndex, this.options.reidentify?.acrossCuts === true);
      const { faces, weak } = found[i];
      const framePreds = preds.slice(k, (k += faces.length));
      // update() returns one track per detection, in detection order, each with its detection's box, then
      // the tracks that weak candidates continued: those are labelled now (rare, so not batched ahead).
      const tracks = this.tracker.update(frame.frameIndex, faces, await this.describeAmbiguous(frame, faces, framePreds), weak);
      const placed = this.place(
        frame,
        tracks,
        { frameIndex: frame.frameIndex, ptsMs: frame.ptsMs, faces: [], detected: true, sceneCut },
        false,
      );
      const continued = placed.inputs.slice(faces.length);
      if (continued.length) framePreds.push(...(await this.ensemble.predict(continued)));
      this.apply(placed, framePreds, await this.describePlaced(placed, framePreds));
      records.push(placed.record);
    }
    return records;
  }

  /**
   * Detector only every `detectEvery` frames, on scene cuts and while nothing is tracked; in between each
   * face's crop follows its landmarks from `LANDMARK_LAG` frames before, turned upright. Two frames are in
   * flight at once: frame t is cropped on the main thread while the members run on frame t-1.
   */
  private async labelTracked(frames: VideoFrame[]): Promise<FrameRecord[]> {
    const records: FrameRecord[] = [];
    // Frames placed but not yet observed, in frame order. Each is observed (applied to the tracker) at a
    // fixed point of the loop, never when its work happens to finish: what the tracker knows when frame t is
    // placed is then exactly frames up to t - LANDMARK_LAG (all earlier frames for a detection), so the labels
    // do not depend on how busy the machine was.
    const unapplied: { placed: Placed; results: Promise<[FacePrediction[], Map<number, Float32Array>]> }[] = [];
    const applyUntil = async (left: number) => {
      while (unapplied.length > left) {
        const { placed, results } = unapplied.shift()!;
        const [preds, descriptors] = await results;
        this.apply(placed, preds, descriptors);
      }
    };
    // Scheduled detections (every detectEvery-th frame, scene cuts) depend on nothing the tracker knows, so
    // a few start now and run on the workers while the members label the frames before them.
    const cuts = frames.map((f) => this.cuts.isCut(f.image));
    const scheduled = frames.map((f, i) => cuts[i] || this.detectionScheduled(f.frameIndex));
    const early = new Map<number, Promise<DetectionSet>>();
    for (const [i, f] of frames.entries()) {
      if (!scheduled[i]) continue;
      const ahead = this.prefetched.get(f.frameIndex);
      this.prefetched.delete(f.frameIndex);
      if (!ahead && early.size >= MAX_EARLY_DETECTIONS) continue;
      const detection = ahead ?? this.detectOne(f.image);
      detection.catch(() => undefined); // observed when its frame is reached; a failure must not be unhandled before then
      early.set(i, detection);
    }
    try {
      for (const [i, frame] of frames.entries()) {
        // Frame t may be placed once frame t-LANDMARK_LAG is labelled and observed.
        await applyUntil(LANDMARK_LAG - 1);
        const sceneCut = cuts[i];
        if (sceneCut) this.tracker.cut(frame.frameIndex, this.options.reidentify?.acrossCuts === true);
        // With nothing tracked, every other frame too: a face that appears is found a frame later at worst,
        // and stretches without a face (or that the detector cannot see) cost half as much.
        const tracking = this.tracker.active.length > 0;
        // The detections the tracker asks for, beside the schedule: never deferred.
        const asked =
          this.tracker.active.some((t) => t.redetectAt !== undefined && t.redetectAt <= frame.frameIndex) ||
          (this.lookAgainAt !== undefined && this.lookAgainAt <= frame.frameIndex);
        let due = scheduled[i] || (!tracking && frame.frameIndex % IDLE_DETECT_EVERY === 0) || asked;
        // A detection deferred from an earlier frame is this frame's, unless this frame has one of its own (a cut,
        // the schedule) or frames were dropped since (then this frame is detected afresh).
        let detection: Promise<DetectionSet> | undefined;
        const carried = this.deferred;
        this.deferred = undefined;
        if (carried && !scheduled[i]) {
          due = true;
          if (frame.frameIndex - carried.frameIndex <= MAX_DEFERRED_FRAMES) detection = carried.detection;
        }
        if (this.options.deferDetections && scheduled[i] && !cuts[i] && tracking && !asked) {
          this.deferred = { frameIndex: frame.frameIndex, detection: early.get(i) ?? this.detectOne(frame.image) };
          this.deferred.detection.catch(() => undefined); // observed on the frame that associates it
          due = false;
        }
        let tracks: readonly Track[];
        if (due) {
          detection ??= early.get(i) ?? this.detectOne(frame.image);
          detection.catch(() => undefined); // awaited below, after the frames before it are applied (which may fail first)
          // A detection is associated with everything before it.
          await applyUntil(0);
          const { faces, weak } = await detection;
          // A deferred detection's boxes are an earlier frame's: associated here as this frame's (measured against
          // association at its own frame with the boxes moved on by their velocity: worse; docs/live.md).
          tracks = this.tracker.update(frame.frameIndex, faces, await this.describeAmbiguous(frame, faces), weak);
          this.lookAgainAt = this.enteringFace(frame, weak, tracks) ? frame.frameIndex + LANDMARK_LAG : undefined;
        } else {
          tracks = this.tracker.followLandmarks(frame.frameIndex, LANDMARK_LAG, frame.image.width, frame.image.height);
        }
        const record: FrameRecord = { frameIndex: frame.frameIndex, ptsMs: frame.ptsMs, faces: [], detected: due, sceneCut };
        records.push(record);
        const placed = this.place(frame, tracks, record, true);
        // Descriptors are taken on the landmarks the members find, so after them.
        const results = this.ensemble
          .predict(placed.inputs)
          .then(async (preds): Promise<[FacePrediction[], Map<number, Float32Array>]> => [preds, await this.describePlaced(placed, preds)]);
        // A detection frame's members on its fresh boxes are part of its turn (`results` is observed just below).
        if (due) this.options.turns?.during(results);
        results.catch(() => undefined); // observed in turn by applyUntil, but may fail while an earlier one is awaited
        unapplied.push({ placed, results });
      }
      await applyUntil(0);
    } catch (err) {
      // Let work already started settle, so none of it rejects unobserved once this batch has failed.
      await Promise.allSettled([...unapplied.map((u) => u.results), ...early.values()]);
      throw err;
    }
    return records;
  }

  /**
   * Descriptors of the detections motion cannot place alone (faces crossing, close together), when
   * re-identification is on: their appearance decides which track each continues.
   */
  private async describeAmbiguous(
    frame: VideoFrame,
    found: Detection[],
    preds?: FacePrediction[],
  ): Promise<Map<number, Float32Array> | undefined> {
    const describer = this.options.reidentify?.describer;
    const ambiguous = describer ? this.tracker.ambiguous(frame.frameIndex, found) : [];
    if (!ambiguous.length) return undefined;
    const faces = ambiguous.map((c) => ({ image: frame.image, box: found[c].box, angle: 0 }));
    // Descriptors are compared framed alike, on the face's landmarks: the members run first where they have not.
    const landmarks = preds ? ambiguous.map((c) => preds[c].landmarks) : (await this.ensemble.predict(faces)).map((p) => p.landmarks);
    const descriptors = await describer!.describe(faces.map((f, k) => ({ ...f, landmarks: landmarks[k] })));
    return new Map(ambiguous.map((c, k) => [c, descriptors[k]]));
  }

  /**
   * A weak candidate at the frame's edge that continues no track and was not there at the previous detection:
   * likely a face coming in (partly outside the frame, so scored low). The detector then looks again as soon as
   * it can rather than at the next scheduled frame. (Without the "was not there" rule a static weak box at the
   * edge of a close-up made the detector run every other frame: 59 -> 104 detections, -25% frames/s.)
   */
  private enteringFace(frame: VideoFrame, weak: Detection[], tracks: readonly Track[]): boolean {
    const { width, height } = frame.image;
    const atEdge = (b: Box) => b.x <= 1 || b.y <= 1 || b.x + b.width >= width - 1 || b.y + b.height >= height - 1;
    const candidates = weak.filter((w) => atEdge(w.box) && !tracks.some((t) => t.box === w.box));
    // One that stays where it was at the previous detection is part of the scene, not a face coming in.
    const moved = candidates.filter((w) => this.edgeCandidates.every((c) => iou(c.box, w.box) < 0.5));
    this.edgeCandidates = candidates;
    return moved.length > 0;
  }

  private async detectOne(image: VideoFrame['image']): Promise<DetectionSet> {
    const detection = this.detectSets([image]);
    return (await (this.options.turns ? this.options.turns.during(detection) : detection))[0];
  }

  /** Faces and weak candidates (none from a detector that has no weak candidates). */
  private async detectSets(images: VideoFrame['image'][]): Promise<DetectionSet[]> {
    if (this.detector.detectWithWeak) return this.detector.detectWithWeak(images);
    return (await this.detector.detect(images)).map((faces) => ({ faces, weak: [] }));
  }

  /**
   * Fixes each face's crop for a frame now: later frames move the tracks on before this one is labelled.
   * The crop may reach past the frame's edge (a face leaving); the box reported is the part inside it, as
   * the detector's boxes are.
   */
  private place(frame: VideoFrame, tracks: readonly Track[], record: FrameRecord, aligned: boolean): Placed {
    const faces = tracks.map((t) => ({
      track: t,
      box: t.box,
      reported: clipBox(t.box, frame.image.width, frame.image.height),
      angle: aligned ? t.angle : 0,
      source: t.lastDetectedFrame === frame.frameIndex ? ('detector' as const) : ('landmarks' as const),
      detectorScore: t.detectorScore,
    }));
    const inputs = faces.map((f) => ({ image: frame.image, box: f.box, angle: f.angle }));
    return {
      record,
      faces,
      inputs,
      width: frame.image.width,
      height: frame.image.height,
      described: this.toDescribe(frame.frameIndex, faces),
    };
  }

  /**
   * The faces that need an appearance descriptor (re-identification on): a track's first detection, and a
   * detection of a track whose latest sample is old. Decided at placement, in frame order.
   */
  private toDescribe(frameIndex: number, faces: Placed['faces']): number[] {
    if (!this.options.reidentify?.describer) return [];
    return faces.flatMap((f, j) => {
      const t = f.track;
      if (
        f.source !== 'detector' ||
        (t.describedAt !== undefined &&
          frameIndex - t.describedAt < (this.mayReidentify(t, frameIndex) ? REID_RETRY_EVERY : DESCRIPTOR_REFRESH_FRAMES))
      )
        return [];
      t.describedAt = frameIndex;
      return [j];
    });
  }

  /** The descriptors of a placed frame's faces that need one, each aligned by the landmarks the members gave it. */
  private async describePlaced({ described, inputs }: Placed, preds: FacePrediction[]): Promise<Map<number, Float32Array>> {
    const describer = this.options.reidentify?.describer;
    if (!describer || !described.length) return new Map();
    const d = await describer.describe(described.map((j) => ({ ...inputs[j], landmarks: preds[j].landmarks })));
    return new Map(described.map((j, n) => [j, d[n]]));
  }

  private apply({ record, faces, width, height }: Placed, preds: FacePrediction[], descriptors: Map<number, Float32Array>): void {
    if (this.gallery && record.sceneCut && !this.options.reidentify?.acrossCuts) this.gallery.clear();
    // IDs on screen in this frame: a returning face is never given one of them.
    const onScreen = new Set(faces.filter((f) => !f.track.discarded && f.track.firstFrame !== record.frameIndex).map((f) => f.track.id));
    record.faces = faces.flatMap((f, j): FaceRecord[] => {
      const { landmarks, probs } = preds[j];
      if (f.track.discarded) return [];
      const isNew = f.track.frames === 0;
      if (f.source === 'detector' && landmarks && this.options.rejectNonFaces !== false && !looksLikeFace(landmarks, f.box, isNew)) {
        // Not a face: a new track ends here; an established one keeps its ID but not this detection.
        if (isNew) this.tracker.discard(f.track);
        return [];
      }
      // Only a clear view's descriptor says who this is (the gallery, the track's own sample for re-attaching);
      // the record keeps every descriptor for the whole-video pass.
      const descriptor = descriptors.get(j);
      const identifying = descriptor && (!landmarks || isClearView(landmarks, f.box)) ? descriptor : undefined;
      this.reidentify(f.track, record, identifying, onScreen);
      onScreen.add(f.track.id);
      // A crop that lost its face asks for a detection as soon as one can be placed deterministically (frames
      // up to frameIndex + LANDMARK_LAG - 1 may already be placed), rather than at the next scheduled one.
      const fits = this.tracker.observe(f.track, record.frameIndex, f.box, landmarks, f.source === 'detector');
      if (!fits) f.track.redetectAt ??= record.frameIndex + LANDMARK_LAG;
      // Between detections the crop was placed by landmarks LANDMARK_LAG frames old; the landmarks the members
      // found in it are this frame's, so the box they give is where the face is now (as the detector would draw
      // it: the track's calibration). Composites 1-24: IDF1 0.803 -> 0.819, MOTA 0.692 -> 0.721 (docs/tracking.md).
      const reported =
        fits && f.source === 'landmarks' && landmarks && f.track.calibration
          ? clipBox(boxFromLandmarks(landmarks, f.track.calibration).box, width, height)
          : f.reported;
      const kept = this.options.keepLandmarks === false ? undefined : landmarks;
      const face: FaceRecord = {
        trackId: f.track.id,
        box: reported,
        angle: f.angle,
        source: f.source,
        detectorScore: f.detectorScore,
        probs,
        landmarks: kept,
      };
      if (descriptor) face.descriptor = descriptor;
      return [face];
    });
  }

  /** A track that may still take the ID of someone seen before: new, and not yet re-identified. */
  private mayReidentify(track: Track, frameIndex: number): boolean {
    return !track.reidentified && frameIndex - track.firstFrame <= REID_RETRY_FRAMES;
  }

  /**
   * A new track that looks like someone seen before takes their ID (from then on; its samples so far join
   * that person's); every sample goes to the gallery.
   */
  private reidentify(track: Track, record: FrameRecord, descriptor: Float32Array | undefined, onScreen: ReadonlySet<number>): void {
    const { frameIndex } = record;
    if (!this.gallery) return;
    if (!descriptor) return this.gallery.touch(track.id, frameIndex);
    if (this.mayReidentify(track, frameIndex)) {
      // Never the ID of someone on screen now, or at any time since this track began (co-presence).
      const known = this.gallery.match(descriptor, onScreen, track.firstFrame);
      if (known) {
        (record.adopted ??= []).push({ provisional: track.id, id: known.id });
        this.gallery.merge(track.id, known.id);
        this.tracker.adopt(track, known.id);
        track.reidentified = true;
      }
    }
    this.gallery.remember(track.id, frameIndex, descriptor);
    track.descriptor = descriptor;
  }
}

interface Placed {
  record: FrameRecord;
  /** `box` is the crop; `reported` its part inside the frame. */
  faces: { track: Track; box: Box; reported: Box; angle: number; source: FaceRecord['source']; detectorScore: number }[];
  inputs: FaceInput[];
  width: number;
  height: number;
  /** The faces (indices) that need an appearance descriptor. */
  described: number[];
}
