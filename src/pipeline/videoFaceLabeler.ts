import { looksLikeFace } from '../detection/faceLikeness.js';
import type { Detection, Detector } from '../detection/nonMaxSuppression.js';
import type { Box } from '../image/rgbImage.js';
import type { Ensemble, FaceInput, FacePrediction } from '../models/ensemble.js';
import { FaceTracker, type Track } from '../tracking/faceTracker.js';
import { SceneCutDetector } from '../video/sceneCutDetector.js';
import type { VideoFrame } from '../video/videoFrames.js';
import type { FaceRecord, FrameRecord } from './faceRecords.js';

/** Frames between the landmarks that place a crop and the frame cropped: 2 lets two frames be in flight. */
const LANDMARK_LAG = 2;

/** While no face is tracked, the detector runs on every this many frames. */
const IDLE_DETECT_EVERY = 2;

/** Detections started ahead per batch; each is two pool requests, and the pool's queue is bounded. */
const MAX_EARLY_DETECTIONS = 2;

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
  sceneCutThreshold?: number;
  /**
   * Drop detections whose landmarks do not fill the box as a face's do (synthetic patterns, textures);
   * default true. A new track that fails on its first frame is discarded. See detection/faceLikeness.ts.
   */
  rejectNonFaces?: boolean;
}

/**
 * Finds, tracks and labels the faces of consecutive frames. Stateful: frames must come in order, each once.
 * Results depend only on the frames, never on how they were split into batches.
 */
export class VideoFaceLabeler {
  private readonly tracker: FaceTracker;
  private readonly cuts: SceneCutDetector;

  constructor(
    private readonly detector: Detector,
    private readonly ensemble: Ensemble,
    private readonly options: LabelerOptions,
  ) {
    if (!Number.isInteger(options.detectEvery) || options.detectEvery < 1) throw new RangeError(`detectEvery must be a positive integer, got ${options.detectEvery}`);
    this.tracker = new FaceTracker({ maxGapFrames: options.maxGapFrames });
    this.cuts = new SceneCutDetector(options.sceneCutThreshold);
  }

  /** Labels consecutive frames; one record per frame, in order. */
  async label(frames: VideoFrame[]): Promise<FrameRecord[]> {
    return this.options.detectEvery > 1 ? this.labelTracked(frames) : this.labelDetected(frames);
  }

  /** Detector on every frame, in batches; crops from its boxes; one ensemble call for the whole batch. */
  private async labelDetected(frames: VideoFrame[]): Promise<FrameRecord[]> {
    const found: Detection[][] = [];
    const step = this.options.detectBatch ?? 8;
    for (let i = 0; i < frames.length; i += step) found.push(...(await this.detector.detect(frames.slice(i, i + step).map((f) => f.image))));
    const pending = frames.map((frame, i) => {
      const sceneCut = this.cuts.isCut(frame.image);
      if (sceneCut) this.tracker.cut();
      const tracks = this.tracker.update(frame.frameIndex, found[i]);
      return this.place(frame, tracks, { frameIndex: frame.frameIndex, ptsMs: frame.ptsMs, faces: [], detected: true, sceneCut }, false);
    });
    await this.labelPlaced(pending);
    return pending.map((p) => p.record);
  }

  /**
   * Detector only every `detectEvery` frames, on scene cuts and while nothing is tracked; in between each
   * face's crop follows its landmarks from `LANDMARK_LAG` frames before, turned upright. Two frames are in
   * flight at once: frame t is cropped on the main thread while the members run on frame t-1.
   */
  private async labelTracked(frames: VideoFrame[]): Promise<FrameRecord[]> {
    const records: FrameRecord[] = [];
    let previous: Promise<void> = Promise.resolve();
    const inFlight: Promise<void>[] = [];
    // Scheduled detections (every detectEvery-th frame, scene cuts) depend on nothing the tracker knows, so
    // a few start now and run on the workers while the members label the frames before them.
    const cuts = frames.map((f) => this.cuts.isCut(f.image));
    const scheduled = frames.map((f, i) => cuts[i] || f.frameIndex % this.options.detectEvery === 0);
    const early = new Map<number, Promise<Detection[]>>();
    for (const [i, f] of frames.entries()) {
      if (!scheduled[i] || early.size >= MAX_EARLY_DETECTIONS) continue;
      const detection = this.detectOne(f.image);
      detection.catch(() => undefined); // observed when its frame is reached; a failure must not be unhandled before then
      early.set(i, detection);
    }
    try {
      for (const [i, frame] of frames.entries()) {
        // Frame t may be placed once frame t-LANDMARK_LAG is labelled and observed.
        while (inFlight.length >= LANDMARK_LAG) await inFlight.shift();
        const sceneCut = cuts[i];
        if (sceneCut) this.tracker.cut();
        // With nothing tracked, every other frame too: a face that appears is found a frame later at worst,
        // and stretches without a face (or that the detector cannot see) cost half as much.
        const due = scheduled[i] || (this.tracker.active.length === 0 && frame.frameIndex % IDLE_DETECT_EVERY === 0);
        let tracks: readonly Track[];
        if (due) {
          const found = await (early.get(i) ?? this.detectOne(frame.image));
          tracks = this.tracker.update(frame.frameIndex, found);
        } else {
          tracks = this.tracker.followLandmarks(frame.frameIndex, LANDMARK_LAG, frame.image.width, frame.image.height);
        }
        const record: FrameRecord = { frameIndex: frame.frameIndex, ptsMs: frame.ptsMs, faces: [], detected: due, sceneCut };
        records.push(record);
        const placed = this.place(frame, tracks, record, true);
        const labelled = this.ensemble.predict(placed.inputs);
        // Observations go to the tracker in frame order, whatever order the work finishes in.
        previous = Promise.all([labelled, previous]).then(([preds]) => this.apply(placed, preds));
        previous.catch(() => undefined); // awaited in turn below, but may fail while an earlier one is awaited
        inFlight.push(previous);
      }
      await Promise.all(inFlight);
    } catch (err) {
      // Let work already started settle, so none of it rejects unobserved once this batch has failed.
      await Promise.allSettled([...inFlight, ...early.values()]);
      throw err;
    }
    return records;
  }

  private async detectOne(image: VideoFrame['image']): Promise<Detection[]> {
    return (await this.detector.detect([image]))[0];
  }

  /** Fixes each face's crop for a frame now: later frames move the tracks on before this one is labelled. */
  private place(frame: VideoFrame, tracks: readonly Track[], record: FrameRecord, aligned: boolean): Placed {
    const faces = tracks.map((t) => ({
      track: t,
      box: t.box,
      angle: aligned ? t.angle : 0,
      source: t.lastDetectedFrame === frame.frameIndex ? ('detector' as const) : ('landmarks' as const),
      detectorScore: t.detectorScore,
    }));
    return { record, faces, inputs: faces.map((f) => ({ image: frame.image, box: f.box, angle: f.angle })) };
  }

  private async labelPlaced(pending: Placed[]): Promise<void> {
    const preds = await this.ensemble.predict(pending.flatMap((p) => p.inputs));
    let k = 0;
    for (const p of pending) this.apply(p, preds.slice(k, (k += p.faces.length)));
  }

  private apply({ record, faces }: Placed, preds: FacePrediction[]): void {
    record.faces = faces.flatMap((f, j): FaceRecord[] => {
      const { landmarks, probs } = preds[j];
      if (f.track.discarded) return [];
      const isNew = f.track.frames === 0;
      if (f.source === 'detector' && landmarks && this.options.rejectNonFaces !== false && !looksLikeFace(landmarks, f.box, isNew)) {
        // Not a face: a new track ends here; an established one keeps its ID but not this detection.
        if (isNew) this.tracker.discard(f.track);
        return [];
      }
      this.tracker.observe(f.track, record.frameIndex, f.box, landmarks, f.source === 'detector');
      return [{ trackId: f.track.id, box: { ...f.box }, angle: f.angle, source: f.source, detectorScore: f.detectorScore, probs, landmarks }];
    });
  }
}

interface Placed {
  record: FrameRecord;
  faces: { track: Track; box: Box; angle: number; source: FaceRecord['source']; detectorScore: number }[];
  inputs: FaceInput[];
}
