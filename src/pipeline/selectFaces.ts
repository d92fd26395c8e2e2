import { coPresentIds } from './coPresence.js';
import type { FaceRecord, FrameRecord } from './faceRecords.js';

export const FACE_MODES = ['main', 'all', 'left-right'] as const;
export type FaceMode = (typeof FACE_MODES)[number];

/** One labelled person of a video: a name suffix (`''`, `left`, `right`, `track3`) and its face in each frame, if any. */
export interface FaceSeries {
  role: string;
  faces: (FaceRecord | undefined)[];
}

/**
 * Picks the faces an output reports, following people, not positions. IDs are ranked by how main they are:
 * summed box area over their frames (large and long-lived wins). Two IDs seen in one frame are two people.
 * - `main`: the top-ranked ID, the person largest over the video. In a frame without it, the top-ranked face
 *   whose ID was never on screen together with it stands in (the same person under a second ID, as after a
 *   cut the identity pass could not bridge); a face of someone seen beside the main person never does, so the
 *   main file follows one person (a frame with only other people has no face);
 * - `left-right`: the top-ranked ID and the top-ranked one ever on screen with it (the second person), named
 *   by which is on the left where both are seen (ABAW's `_left` / `_right` videos), each with its stand-ins as
 *   for `main`; with only one person, a face is named by which half of the frame it is in;
 * - `all`: one series per ID.
 */
export function selectFaces(frames: FrameRecord[], mode: FaceMode, frameWidth: number): FaceSeries[] {
  const weight = new Map<number, number>();
  for (const f of frames)
    for (const face of f.faces) weight.set(face.trackId, (weight.get(face.trackId) ?? 0) + face.box.width * face.box.height);
  const ids = [...weight.keys()].sort((a, b) => weight.get(b)! - weight.get(a)! || a - b);
  const coPresent = coPresentIds(frames);
  const together = (a: number, b: number) => coPresent.get(a)?.has(b) === true;
  const rankOf = new Map(ids.map((id, k) => [id, k]));
  const rank = (id: number) => rankOf.get(id)!;
  const centre = (face: FaceRecord) => face.box.x + face.box.width / 2;
  /** The face of `person` in frame `f`, or the top-ranked stand-in: never seen with `person`, not one of `taken`. */
  const follow = (f: FrameRecord, person: number, taken: Set<FaceRecord>) =>
    f.faces.find((x) => x.trackId === person) ??
    [...f.faces].sort((a, b) => rank(a.trackId) - rank(b.trackId)).find((x) => !taken.has(x) && !together(x.trackId, person));

  const main = ids[0];
  if (mode === 'main') return [{ role: '', faces: frames.map((f) => (main === undefined ? undefined : follow(f, main, new Set()))) }];
  if (mode === 'left-right') {
    const second = ids.find((id) => id !== main && together(id, main));
    const left: (FaceRecord | undefined)[] = [];
    const right: (FaceRecord | undefined)[] = [];
    if (second === undefined) {
      // One person: named by which half of the frame the face is in.
      for (const f of frames) {
        const face = main === undefined ? undefined : follow(f, main, new Set());
        const onLeft = face !== undefined && centre(face) < frameWidth / 2;
        left.push(onLeft ? face : undefined);
        right.push(face && !onLeft ? face : undefined);
      }
    } else {
      // Which of the two is on the left: their mean centres over the frames where both are seen.
      let offset = 0;
      for (const f of frames) {
        const a = f.faces.find((x) => x.trackId === main);
        const b = f.faces.find((x) => x.trackId === second);
        if (a && b) offset += centre(a) - centre(b);
      }
      const [l, r] = offset <= 0 ? [main, second] : [second, main];
      for (const f of frames) {
        // Each person's own face first, so a stand-in never takes the other's.
        const own = new Set(f.faces.filter((x) => x.trackId === l || x.trackId === r));
        const lf = follow(f, l, own);
        const rf = follow(f, r, new Set([...own, ...(lf ? [lf] : [])]));
        left.push(lf);
        right.push(rf);
      }
    }
    return [
      { role: 'left', faces: left },
      { role: 'right', faces: right },
    ];
  }
  return [...ids]
    .sort((a, b) => a - b)
    .map((id) => ({ role: `track${id}`, faces: frames.map((f) => f.faces.find((face) => face.trackId === id)) }));
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
