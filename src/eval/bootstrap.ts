import { seededRandom } from '../util/seededRandom.js';
import { classificationReport } from './metrics.js';

/**
 * 95% bootstrap interval of macro F1 (1000 resamples of the images, seeded so it is reproducible): the
 * validation sets here are small (wild_expressions_dev has 11 fear faces), so every F1 is given with one.
 */
export function bootstrapMacroF1(labels: string[], truth: number[], predicted: number[], resamples = 1000, seed = 12345): [number, number] {
  // mulberry32: an LCG in doubles (state * 1103515245 overflows 2^53) repeats itself and biased the intervals.
  const rand = seededRandom(seed);
  const f1s: number[] = [];
  for (let b = 0; b < resamples; b++) {
    const idx = truth.map(() => Math.floor(rand() * truth.length));
    f1s.push(classificationReport(labels, idx.map((i) => truth[i]), idx.map((i) => predicted[i])).macroF1);
  }
  f1s.sort((a, b) => a - b);
  return [f1s[Math.floor(resamples * 0.025)], f1s[Math.ceil(resamples * 0.975) - 1]];
}

/**
 * 95% paired bootstrap interval of macro F1(a) - macro F1(b) for two models' predictions on the same images: the
 * resamples draw the same images for both, so what the two share (hard faces, a small class) cancels out.
 */
export function bootstrapMacroF1Difference(labels: string[], truth: number[], a: number[], b: number[], resamples = 1000, seed = 12345): [number, number] {
  const rand = seededRandom(seed);
  const diffs: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const idx = truth.map(() => Math.floor(rand() * truth.length));
    const t = idx.map((i) => truth[i]);
    diffs.push(classificationReport(labels, t, idx.map((i) => a[i])).macroF1 - classificationReport(labels, t, idx.map((i) => b[i])).macroF1);
  }
  diffs.sort((x, y) => x - y);
  return [diffs[Math.floor(resamples * 0.025)], diffs[Math.ceil(resamples * 0.975) - 1]];
}

/** Macro F1 with its 95% bootstrap interval, and accuracy: what the evaluation scripts report for a model on a set. */
export interface MacroF1Summary {
  f1: number;
  ci: [number, number];
  acc: number;
}

export function macroF1Summary(labels: string[], truth: number[], predicted: number[]): MacroF1Summary {
  const r = classificationReport(labels, truth, predicted);
  return { f1: r.macroF1, ci: bootstrapMacroF1(labels, truth, predicted), acc: r.accuracy };
}

/** `0.526 [0.482, 0.569] / 66.1%`, as the docs' tables give it. */
export const formatMacroF1 = (s: MacroF1Summary): string => `${s.f1.toFixed(3)} [${s.ci.map((x) => x.toFixed(3)).join(', ')}] / ${(100 * s.acc).toFixed(1)}%`;
