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
