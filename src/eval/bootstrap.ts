import { seededRandom } from '../util/seededRandom.js';
import { classificationReport } from './metrics.js';

/**
 * The 2.5th and 97.5th percentiles of a statistic over `resamples` bootstrap samples of `n` images (indexes drawn
 * with replacement, seeded so every interval is reproducible).
 */
function bootstrapInterval(n: number, statistic: (sample: number[]) => number, resamples: number, seed: number): [number, number] {
  // mulberry32: an LCG in doubles (state * 1103515245 overflows 2^53) repeats itself and biased the intervals.
  const rand = seededRandom(seed);
  const values: number[] = [];
  for (let b = 0; b < resamples; b++) values.push(statistic(Array.from({ length: n }, () => Math.floor(rand() * n))));
  values.sort((a, b) => a - b);
  return [values[Math.floor(resamples * 0.025)], values[Math.ceil(resamples * 0.975) - 1]];
}

/**
 * 95% bootstrap interval of macro F1 (1000 resamples of the images, seeded so it is reproducible): the
 * validation sets here are small (wild_expressions_dev has 11 fear faces), so every F1 is given with one.
 */
export function bootstrapMacroF1(labels: string[], truth: number[], predicted: number[], resamples = 1000, seed = 12345): [number, number] {
  return bootstrapInterval(
    truth.length,
    (idx) =>
      classificationReport(
        labels,
        idx.map((i) => truth[i]),
        idx.map((i) => predicted[i]),
      ).macroF1,
    resamples,
    seed,
  );
}

/**
 * 95% paired bootstrap interval of macro F1(a) - macro F1(b) for two models' predictions on the same images: the
 * resamples draw the same images for both, so what the two share (hard faces, a small class) cancels out.
 */
export function bootstrapMacroF1Difference(
  labels: string[],
  truth: number[],
  a: number[],
  b: number[],
  resamples = 1000,
  seed = 12345,
): [number, number] {
  return bootstrapInterval(
    truth.length,
    (idx) => {
      const t = idx.map((i) => truth[i]);
      return (
        classificationReport(
          labels,
          t,
          idx.map((i) => a[i]),
        ).macroF1 -
        classificationReport(
          labels,
          t,
          idx.map((i) => b[i]),
        ).macroF1
      );
    },
    resamples,
    seed,
  );
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
export const formatMacroF1 = (s: MacroF1Summary): string =>
  `${s.f1.toFixed(3)} [${s.ci.map((x) => x.toFixed(3)).join(', ')}] / ${(100 * s.acc).toFixed(1)}%`;
