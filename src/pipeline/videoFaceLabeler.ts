import type { FaceDetector } from '../detection/faceDetector.js';
import type { Detection } from '../detection/nonMaxSuppression.js';
import type { Ensemble, FaceInput } from '../models/ensemble.js';
import { FaceTracker, type Track } from '../tracking/faceTracker.js';
import { SceneCutDetector } from '../video/sceneCutDetector.js';
import type { VideoFrame } from '../video/videoFrames.js';
import type { FaceRecord, FrameRecord } from './faceRecords.js';

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
}

/**
 * Finds, tracks and labels the faces of consecutive frames. Stateful: frames must come in order, each once.
 * Results depend only on the frames, never on how they were split into batches.
 */
export class VideoFaceLabeler {
  private readonly tracker: FaceTracker;
  private readonly cuts: SceneCutDetector;
  private lastDetected = -Infinity;

  constructor(
    private readonly detector: FaceDetector,
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
      const tracks = [...this.tracker.update(frame.frameIndex, found[i])];
      const record: FrameRecord = { frameIndex: frame.frameIndex, ptsMs: frame.ptsMs, faces: [], detected: true, sceneCut };
      return { record, tracks, inputs: tracks.map((t) => ({ image: frame.image, box: t.box })) };
    });
    await this.labelPending(pending);
    return pending.map((p) => p.record);
  }

  /**
   * Detector only every `detectEvery` frames, on scene cuts and while nothing is tracked; in between each
   * face's crop follows its landmarks from the frame before, turned upright. Frame by frame, since each
   * crop needs the previous frame's result.
   */
  private async labelTracked(frames: VideoFrame[]): Promise<FrameRecord[]> {
    const records: FrameRecord[] = [];
    for (const frame of frames) {
      const sceneCut = this.cuts.isCut(frame.image);
      if (sceneCut) this.tracker.cut();
      const due = sceneCut || this.tracker.active.length === 0 || frame.frameIndex - this.lastDetected >= this.options.detectEvery;
      let tracks: Track[];
      if (due) {
        this.lastDetected = frame.frameIndex;
        const [found] = await this.detector.detect([frame.image]);
        tracks = [...this.tracker.update(frame.frameIndex, found)];
      } else {
        tracks = [...this.tracker.followLandmarks(frame.image.width, frame.image.height)];
      }
      const record: FrameRecord = { frameIndex: frame.frameIndex, ptsMs: frame.ptsMs, faces: [], detected: due, sceneCut };
      await this.labelPending([{ record, tracks, inputs: tracks.map((t) => ({ image: frame.image, box: t.box, angle: t.angle })) }]);
      records.push(record);
    }
    return records;
  }

  private async labelPending(pending: { record: FrameRecord; tracks: Track[]; inputs: FaceInput[] }[]): Promise<void> {
    const preds = await this.ensemble.predict(pending.flatMap((p) => p.inputs));
    let k = 0;
    for (const { record, tracks, inputs } of pending) {
      record.faces = tracks.map((t, j): FaceRecord => {
        const pred = preds[k++];
        const face: FaceRecord = {
          trackId: t.id,
          box: { ...t.box },
          angle: inputs[j].angle ?? 0,
          source: t.lastDetectedFrame === record.frameIndex ? 'detector' : 'landmarks',
          detectorScore: t.detectorScore,
          probs: pred.probs,
          landmarks: pred.landmarks,
        };
        this.tracker.observe(t, record.frameIndex, pred.landmarks);
        return face;
      });
    }
  }
}
