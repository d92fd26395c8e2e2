import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  chooseCalibratedFusion,
  chooseFusion,
  fusionGrid,
  macroF1,
  outOfFold,
  scoreFusion,
  searchWorstGap,
  bestSingleComponent,
  fusedLabels,
  type FusionDomain,
} from '../src/eval/domainFusion.js';
import { LSD_INDICES } from '../src/models/labels.js';
import { seededRandom } from '../src/util/seededRandom.js';

/**
 * Two components that share a confusion: both call a surprised face afraid, so no weighting of them recovers it
 * and a bias on surprise does. Faces in groups of three (a person's near-duplicates).
 */
function domain(name: string, seed: number, faces = 300): FusionDomain {
  const random = seededRandom(seed);
  return {
    name,
    faces: Array.from({ length: faces }, (_, i) => {
      const label = i % 6;
      // A surprised face shows more fear than surprise (0.5 against 0.4, each plus noise); every other face its own
      // class at 0.6 or more. The fix: surprise's bias above fear's by between log(0.6 / 0.4) and log(0.6 / 0.1).
      const part = () => {
        const p = Array.from({ length: 7 }, () => 0.1 * random());
        if (label === 5) {
          p[LSD_INDICES[5]] = 0.4 + 0.1 * random();
          p[LSD_INDICES[2]] = 0.5 + 0.1 * random();
        } else p[LSD_INDICES[label]] = 0.6 + 0.1 * random();
        const s = p.reduce((a, b) => a + b, 0);
        return Float64Array.from(p, (v) => v / s);
      };
      return { label, group: `${name}-${Math.floor(i / 3)}`, parts: [part(), part()] };
    }),
  };
}

describe('fusion chosen on several domains', () => {
  const domains = [domain('a', 1), domain('b', 2)];
  const grid = fusionGrid(2, 0.1);

  test('the grid holds every weight pair summing to 1, in 0.1 steps', () => {
    assert.equal(grid.length, 11);
    assert.ok(grid.every((w) => Math.abs(w[0] + w[1] - 1) < 1e-12));
  });

  test('the expression calibration finds the shared confusion: surprise raised against fear, a better mean macro F1, out of fold too', () => {
    const plain = chooseFusion(domains, grid, 'mean');
    const calibrated = chooseCalibratedFusion(domains, grid, 'mean');
    assert.equal(calibrated.bias![0], 0, 'neutral has no bias');
    const lift = calibrated.bias![LSD_INDICES[5]] - calibrated.bias![LSD_INDICES[2]];
    assert.ok(lift > Math.log(0.6 / 0.4) && lift < Math.log(0.6 / 0.1), `surprise's bias above fear's by ${lift}`);
    assert.ok(calibrated.score > plain.score + 0.1, `${calibrated.score} against ${plain.score}`);
    const inSample = scoreFusion(domains, calibrated.weights, calibrated.bias).map((d) => d.macroF1);
    assert.ok(Math.abs(inSample.reduce((a, b) => a + b, 0) / 2 - calibrated.score) < 1e-9, 'the score is the mean of the domains');
    const mean = (e: { macroF1: number }[]) => e.reduce((a, d) => a + d.macroF1, 0) / e.length;
    const heldPlain = mean(outOfFold(domains, (train) => chooseFusion(train, grid, 'mean')));
    const heldCalibrated = mean(outOfFold(domains, (train) => chooseCalibratedFusion(train, grid, 'mean')));
    assert.ok(heldCalibrated > heldPlain + 0.1, `out of fold ${heldCalibrated} against ${heldPlain}`);
  });

  test('the worst-gap search reaches a bar that only a calibration reaches, and says how far short an unreachable one is', () => {
    const start = { weights: [0.5, 0.5], bias: [0, 0, 0, 0, 0, 0, 0] };
    const plain = scoreFusion(domains, start.weights).map((d) => d.macroF1);
    // Surprised faces are called afraid: the weights alone stay far below 0.95 on both domains.
    assert.ok(Math.max(...plain) < 0.9, `weights alone ${plain}`);
    const alone = [0, 1].map((k) => scoreFusion(domains, k === 0 ? [1, 0] : [0, 1]).map((d) => d.macroF1));
    assert.deepEqual(
      bestSingleComponent(domains),
      domains.map((_, i) => Math.max(alone[0][i], alone[1][i])),
    );
    const reached = searchWorstGap(domains, [0.95, 0.95], start, { restarts: 2, steps: 300 });
    assert.ok(reached.score >= 0, `worst gap ${reached.score}, scores ${reached.scores}`);
    assert.ok(reached.bias![LSD_INDICES[5]] - reached.bias![LSD_INDICES[2]] > Math.log(0.6 / 0.4), 'surprise raised against fear');
    assert.equal(reached.bias![0], 0, 'neutral has no bias');
    // A bar above a perfect score is out of reach: the gap it reports is what is missing, not a made-up success.
    const unreachable = searchWorstGap(domains, [1.05, 0.95], start, { restarts: 1, steps: 100 });
    assert.ok(Math.abs(unreachable.score - (unreachable.scores[0] - 1.05)) < 1e-12 && unreachable.score < 0);
  });

  test('no bias, no change: the labels of a zero calibration are the weights alone', () => {
    const d = domains[0];
    assert.deepEqual(fusedLabels(d.faces, [0.5, 0.5], [0, 0, 0, 0, 0, 0, 0]), fusedLabels(d.faces, [0.5, 0.5]));
    const truth = d.faces.map((f) => f.label);
    assert.equal(macroF1(truth, truth), 1);
  });
});
