import { argmaxOver } from '../models/softVote.js';
import { CANONICAL_LABELS } from '../models/labels.js';

/** ABAW expression-track classes; the first seven are CANONICAL_LABELS in the same order, `Other` is never predicted. */
export const ABAW_EXPR_HEADER = 'Neutral,Anger,Disgust,Fear,Happiness,Sadness,Surprise,Other';

const ALL = CANONICAL_LABELS.map((_, i) => i);

/** ABAW expression index of voted probabilities (over CANONICAL_LABELS); -1 without a face. */
export function abawExpressionIndex(probs: ArrayLike<number> | undefined): number {
  return probs ? argmaxOver(probs, ALL) : -1;
}

/** A `<video>.txt` of the ABAW expression track: the header, then one label per frame (line i = frame i = `0000i.jpg`). */
export function formatAbawExpr(labels: number[]): string {
  return [ABAW_EXPR_HEADER, ...labels.map(String)].join('\n') + '\n';
}

/** ABAW's single-file form: `image_location,<classes>` then `<video>/<NNNNN>.jpg,<label>` for every frame of every video. */
export function formatAbawExprSingle(videos: { name: string; labels: number[] }[]): string {
  const rows = videos.flatMap(({ name, labels }) => labels.map((l, i) => `${name}/${String(i + 1).padStart(5, '0')}.jpg,${l}`));
  return [`image_location,${ABAW_EXPR_HEADER}`, ...rows].join('\n') + '\n';
}
