import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { trackingScores, type TrackedBox } from '../src/eval/trackingMetrics.js';

const at = (id: number, x: number): TrackedBox => ({ id, box: { x, y: 0, width: 10, height: 10 } });

describe('tracking measures', () => {
  test('a perfect tracker: MOTA 1, IDF1 1, no switch', () => {
    const truth = [
      [at(1, 0), at(2, 50)],
      [at(1, 2), at(2, 48)],
      [at(1, 4), at(2, 46)],
    ];
    const pred = truth.map((f) => f.map((o) => ({ ...o, id: o.id + 10 })));
    assert.deepEqual((({ mota, idf1, idSwitches }) => ({ mota, idf1, idSwitches }))(trackingScores(truth, pred)), {
      mota: 1,
      idf1: 1,
      idSwitches: 0,
    });
  });

  test('worked example: one person, the tracker splits them into two IDs half way, plus one false box and one miss', () => {
    // Truth: id 1 in frames 0-5. Tracker: id 7 in frames 0-2, id 8 in frames 3-4, nothing in frame 5,
    // and a false box (id 9) in frame 1.
    const truth = [0, 1, 2, 3, 4, 5].map((f) => [at(1, f)]);
    const pred = [[at(7, 0)], [at(7, 1), at(9, 80)], [at(7, 2)], [at(8, 3)], [at(8, 4)], []];
    const s = trackingScores(truth, pred);
    assert.equal(s.gt, 6);
    assert.equal(s.predicted, 6);
    assert.equal(s.fn, 1);
    assert.equal(s.fp, 1);
    assert.equal(s.idSwitches, 1);
    assert.ok(Math.abs(s.mota - (1 - 3 / 6)) < 1e-12);
    // IDF1: identity 1 is matched to track 7 (3 shared frames, more than 8's 2): IDTP 3, IDF1 = 6 / 12.
    assert.equal(s.idtp, 3);
    assert.ok(Math.abs(s.idf1 - 0.5) < 1e-12);
    assert.equal(s.predictedIds, 3);
  });

  test('two people crossing whose IDs the tracker swaps: two switches, IDF1 one half', () => {
    const truth = [0, 1, 2, 3].map((f) => [at(1, f * 10), at(2, 100 - f * 10)]);
    const pred = [0, 1, 2, 3].map((f) => (f < 2 ? [at(5, f * 10), at(6, 100 - f * 10)] : [at(6, f * 10), at(5, 100 - f * 10)]));
    const s = trackingScores(truth, pred);
    assert.equal(s.idSwitches, 2);
    assert.equal(s.mota, 1 - 2 / 8);
    assert.equal(s.idf1, 0.5);
  });
});
