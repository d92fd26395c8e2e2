import { CANONICAL_LABELS } from './labels.js';

/** One member's probabilities over the canonical labels; NaN where the member has no such label. */
export type CanonicalProbs = Float64Array;

/** softmax(log p / T): T < 1 sharpens a member that is too timid, T > 1 calms one that is overconfident. */
export function applyTemperature(probs: ArrayLike<number>, temperature: number): Float64Array {
  const out = new Float64Array(probs.length);
  if (temperature === 1) {
    for (let i = 0; i < probs.length; i++) out[i] = probs[i];
    return out;
  }
  let sum = 0;
  for (let i = 0; i < probs.length; i++) {
    out[i] = Math.pow(Math.max(probs[i], 1e-12), 1 / temperature);
    sum += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/**
 * Soft voting: the weighted mean of the members' probabilities, label by label over the members that
 * have that label, renormalised to sum to 1.
 */
export function softVote(members: CanonicalProbs[], weights: number[]): Float64Array {
  const out = new Float64Array(CANONICAL_LABELS.length);
  for (let k = 0; k < out.length; k++) {
    let num = 0;
    let den = 0;
    members.forEach((p, m) => {
      if (Number.isNaN(p[k])) return;
      num += weights[m] * p[k];
      den += weights[m];
    });
    out[k] = den > 0 ? num / den : 0;
  }
  const sum = out.reduce((a, b) => a + b, 0);
  if (sum > 0) for (let k = 0; k < out.length; k++) out[k] /= sum;
  return out;
}
