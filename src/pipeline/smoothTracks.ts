import type { FrameRecord } from './faceRecords.js';

/**
 * Centred moving average of each track's probabilities over `window` frames (file mode: future frames are
 * known). Only the same track's own frames are averaged, so faces never blur into each other, and a
 * track's first and last frames average what exists. Returns new records; the input is left as it is.
 */
export function smoothTracks(frames: FrameRecord[], window: number): FrameRecord[] {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`smoothing window must be a positive integer, got ${window}`);
  const out = frames.map((f) => ({ ...f, faces: f.faces.map((face) => ({ ...face })) }));
  if (window === 1) return out;
  const half = Math.floor(window / 2);
  const byTrack = new Map<number, { frame: number; probs: Float64Array; target: { probs: Float64Array } }[]>();
  out.forEach((f) =>
    f.faces.forEach((face) => {
      const list = byTrack.get(face.trackId) ?? [];
      list.push({ frame: f.frameIndex, probs: face.probs, target: face });
      byTrack.set(face.trackId, list);
    }),
  );
  for (const list of byTrack.values()) {
    let lo = 0;
    let hi = 0;
    const sum = new Float64Array(list[0].probs.length);
    for (const item of list) {
      while (hi < list.length && list[hi].frame <= item.frame + half) list[hi++].probs.forEach((p, k) => (sum[k] += p));
      while (list[lo].frame < item.frame - half) list[lo++].probs.forEach((p, k) => (sum[k] -= p));
      item.target.probs = sum.map((s) => s / (hi - lo));
    }
  }
  return out;
}
