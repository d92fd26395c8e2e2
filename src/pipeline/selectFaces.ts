import type { FaceRecord, FrameRecord } from './faceRecords.js';

export const FACE_MODES = ['main', 'all', 'left-right'] as const;
export type FaceMode = (typeof FACE_MODES)[number];

/** One labelled person of a video: a name suffix (`''`, `left`, `right`, `track3`) and its face in each frame, if any. */
export interface FaceSeries {
  role: string;
  faces: (FaceRecord | undefined)[];
}

/**
 * Picks the faces an output reports. Tracks are ranked by how main they are: summed box area over their
 * frames (large and long-lived wins).
 * - `main`: in each frame, the highest-ranked track present, so a video with cuts keeps its main person
 *   in every shot even when the tracker had to start a new ID after a cut;
 * - `left-right`: in each frame the two highest-ranked tracks present, named by position (ABAW's
 *   `_left` / `_right` videos); a lone face is named by which half of the frame it is in;
 * - `all`: one series per track.
 */
export function selectFaces(frames: FrameRecord[], mode: FaceMode, frameWidth: number): FaceSeries[] {
  const weight = new Map<number, number>();
  for (const f of frames)
    for (const face of f.faces) weight.set(face.trackId, (weight.get(face.trackId) ?? 0) + face.box.width * face.box.height);
  const ranked = (faces: FaceRecord[]) =>
    [...faces].sort((a, b) => weight.get(b.trackId)! - weight.get(a.trackId)! || a.trackId - b.trackId);
  const centre = (face: FaceRecord) => face.box.x + face.box.width / 2;

  if (mode === 'main') return [{ role: '', faces: frames.map((f) => ranked(f.faces)[0]) }];
  if (mode === 'left-right') {
    const left: (FaceRecord | undefined)[] = [];
    const right: (FaceRecord | undefined)[] = [];
    for (const f of frames) {
      const [a, b] = ranked(f.faces);
      let l: FaceRecord | undefined;
      let r: FaceRecord | undefined;
      if (a && b) [l, r] = centre(a) <= centre(b) ? [a, b] : [b, a];
      else if (a) centre(a) < frameWidth / 2 ? (l = a) : (r = a);
      left.push(l);
      right.push(r);
    }
    return [
      { role: 'left', faces: left },
      { role: 'right', faces: right },
    ];
  }
  const ids = [...weight.keys()].sort((a, b) => a - b);
  return ids.map((id) => ({ role: `track${id}`, faces: frames.map((f) => f.faces.find((face) => face.trackId === id)) }));
}

/**
 * `--fill interpolate`: frames without a face get probabilities interpolated linearly between the
 * nearest frames that have one (the nearest one at either end). A series with no face stays empty.
 */
export function interpolateGaps(probs: (Float64Array | undefined)[]): (Float64Array | undefined)[] {
  const n = probs.length;
  const prev = new Int32Array(n).fill(-1);
  const next = new Int32Array(n).fill(-1);
  for (let i = 0, last = -1; i < n; i++) prev[i] = probs[i] ? (last = i) : last;
  for (let i = n - 1, last = -1; i >= 0; i--) next[i] = probs[i] ? (last = i) : last;
  return probs.map((p, i) => {
    if (p) return p;
    const a = prev[i];
    const b = next[i];
    if (a < 0 && b < 0) return undefined;
    if (a < 0) return probs[b];
    if (b < 0) return probs[a];
    const t = (i - a) / (b - a);
    return probs[a]!.map((v, c) => v * (1 - t) + probs[b]![c] * t);
  });
}
