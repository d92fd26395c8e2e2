import { munkres } from 'munkres';
import { iou, type Box } from '../image/rgbImage.js';

/** One object in one frame: ground truth (a person's identity) or a tracker's output (a track ID). */
export interface TrackedBox {
  id: number;
  box: Box;
}

export interface TrackingScores {
  /** Ground-truth boxes over all frames. */
  gt: number;
  /** Predicted boxes over all frames. */
  predicted: number;
  /** CLEAR-MOT: misses, false positives, identity switches, MOTA = 1 - (FN + FP + IDSW) / GT. */
  fn: number;
  fp: number;
  idSwitches: number;
  mota: number;
  /** Identity measures (Ristani et al. 2016): each truth identity matched to at most one track ID globally. */
  idtp: number;
  idf1: number;
  /** Distinct IDs the tracker gave, and distinct identities in the truth. */
  predictedIds: number;
  gtIds: number;
}

const assign = (cost: number[][]): [number, number][] => (cost.length && cost[0].length ? (munkres(cost) as [number, number][]) : []);

/**
 * Standard multi-object tracking measures of `predicted` against `truth` (both one list per frame), a match
 * being IoU >= `minIou`. Per frame, truth and predictions are matched by optimal assignment (Hungarian, on
 * 1 - IoU), keeping a truth's previous track when it still overlaps enough (CLEAR-MOT); an ID switch is a
 * truth matched to another track than at its last match. IDF1 matches identities to track IDs once for the
 * whole video, maximising the frames they share.
 */
export function trackingScores(truth: TrackedBox[][], predicted: TrackedBox[][], minIou = 0.5): TrackingScores {
  let gt = 0,
    pr = 0,
    fn = 0,
    fp = 0,
    idsw = 0;
  const lastMatch = new Map<number, number>();
  // Frames each (truth id, track id) pair overlaps, for IDF1.
  const shared = new Map<number, Map<number, number>>();
  const gtIds = new Set<number>();
  const prIds = new Set<number>();
  const gtCount = new Map<number, number>();
  const prCount = new Map<number, number>();
  const frames = Math.max(truth.length, predicted.length);
  for (let f = 0; f < frames; f++) {
    const t = truth[f] ?? [];
    const p = predicted[f] ?? [];
    gt += t.length;
    pr += p.length;
    for (const o of t) (gtIds.add(o.id), gtCount.set(o.id, (gtCount.get(o.id) ?? 0) + 1));
    for (const o of p) (prIds.add(o.id), prCount.set(o.id, (prCount.get(o.id) ?? 0) + 1));
    const overlaps = t.map((a) => p.map((b) => iou(a.box, b.box)));
    for (const [i, a] of t.entries()) {
      for (const [j, b] of p.entries()) {
        if (overlaps[i][j] < minIou) continue;
        const row = shared.get(a.id) ?? new Map<number, number>();
        row.set(b.id, (row.get(b.id) ?? 0) + 1);
        shared.set(a.id, row);
      }
    }
    // CLEAR-MOT: keep last frame's correspondences that still hold, then assign the rest optimally.
    const matched = new Map<number, number>();
    const usedP = new Set<number>();
    for (const [i, a] of t.entries()) {
      const prev = lastMatch.get(a.id);
      const j = p.findIndex((b) => b.id === prev);
      if (j >= 0 && !usedP.has(j) && overlaps[i][j] >= minIou) {
        matched.set(i, j);
        usedP.add(j);
      }
    }
    const freeT = t.map((_, i) => i).filter((i) => !matched.has(i));
    const freeP = p.map((_, j) => j).filter((j) => !usedP.has(j));
    for (const [r, c] of assign(freeT.map((i) => freeP.map((j) => (overlaps[i][j] >= minIou ? 1 - overlaps[i][j] : 1e6))))) {
      const i = freeT[r],
        j = freeP[c];
      if (overlaps[i][j] < minIou) continue;
      matched.set(i, j);
      usedP.add(j);
    }
    for (const [i, j] of matched) {
      const id = t[i].id;
      const prev = lastMatch.get(id);
      if (prev !== undefined && prev !== p[j].id) idsw++;
      lastMatch.set(id, p[j].id);
    }
    fn += t.length - matched.size;
    fp += p.length - matched.size;
  }
  // IDF1: one global assignment of truth identities to track IDs, maximising shared frames.
  const gList = [...gtIds],
    pList = [...prIds];
  let idtp = 0;
  if (gList.length && pList.length) {
    const most = Math.max(1, ...[...shared.values()].flatMap((r) => [...r.values()]));
    const cost = gList.map((g) => pList.map((q) => most - (shared.get(g)?.get(q) ?? 0)));
    for (const [r, c] of assign(cost)) idtp += shared.get(gList[r])?.get(pList[c]) ?? 0;
  }
  return {
    gt,
    predicted: pr,
    fn,
    fp,
    idSwitches: idsw,
    mota: gt ? 1 - (fn + fp + idsw) / gt : 1,
    idtp,
    idf1: gt + pr ? (2 * idtp) / (gt + pr) : 1,
    predictedIds: prIds.size,
    gtIds: gtIds.size,
  };
}
