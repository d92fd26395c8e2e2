import type { FaceRecord, FrameRecord } from './faceRecords.js';

/**
 * Causal counterparts of file mode's whole-video steps, for live streams where the future is unknown:
 * - a trailing moving average of each track's probabilities over its last `window` frames (file mode's
 *   `--smooth` is centred);
 * - the main face chosen online: the present track with the largest summed box area so far (file mode
 *   sums over the whole video).
 * State is per track and forgotten `forgetAfterFrames` after a track was last seen, so memory stays flat
 * however long a stream runs.
 */
export class LiveTracks {
  private readonly tracks = new Map<number, { recent: Float64Array[]; areaSum: number; lastFrame: number }>();

  constructor(
    private readonly window: number,
    private readonly forgetAfterFrames = 300,
  ) {
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`smoothing window must be a positive integer, got ${window}`);
  }

  /** The frame with each face's probabilities smoothed, and the trackId of its main face (if any). */
  update(record: FrameRecord): { faces: FaceRecord[]; mainTrackId?: number } {
    let main: { id: number; area: number } | undefined;
    const faces = record.faces.map((face) => {
      let t = this.tracks.get(face.trackId);
      if (!t) this.tracks.set(face.trackId, (t = { recent: [], areaSum: 0, lastFrame: record.frameIndex }));
      t.lastFrame = record.frameIndex;
      t.areaSum += face.box.width * face.box.height;
      if (!main || t.areaSum > main.area || (t.areaSum === main.area && face.trackId < main.id))
        main = { id: face.trackId, area: t.areaSum };
      if (this.window === 1) return face;
      t.recent.push(face.probs);
      if (t.recent.length > this.window) t.recent.shift();
      const probs = new Float64Array(face.probs.length);
      for (const p of t.recent) for (let k = 0; k < p.length; k++) probs[k] += p[k] / t.recent.length;
      return { ...face, probs };
    });
    for (const [id, t] of this.tracks) if (record.frameIndex - t.lastFrame > this.forgetAfterFrames) this.tracks.delete(id);
    return { faces, mainTrackId: main?.id };
  }

  /** Tracks remembered now (for tests: it must stay bounded). */
  get size(): number {
    return this.tracks.size;
  }
}
