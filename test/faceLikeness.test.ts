import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isClearView, landmarkSpans, looksLikeFace } from '../src/detection/faceLikeness.js';

const box = { x: 100, y: 50, width: 200, height: 220 };

/** 68 landmarks whose outer eye corners (36, 45) and jaw ends (0, 16) span the given fractions of the box width. */
function spans(eye: number, jaw: number): Float32Array {
  const p = new Float32Array(136).fill(0);
  const cx = box.x + box.width / 2;
  const put = (i: number, x: number, y: number) => ((p[2 * i] = x), (p[2 * i + 1] = y));
  put(36, cx - (eye * box.width) / 2, 120);
  put(45, cx + (eye * box.width) / 2, 120);
  put(0, cx - (jaw * box.width) / 2, 130);
  put(16, cx + (jaw * box.width) / 2, 130);
  return p;
}

describe('face likeness from landmarks', () => {
  test('spans are measured across the box', () => {
    const s = landmarkSpans(spans(0.3, 0.75), box);
    assert.ok(Math.abs(s.eye - 0.3) < 1e-6 && Math.abs(s.jaw - 0.75) < 1e-6);
  });

  test('a three-quarter face is a face at first sight, but not a clear view (its descriptor does not say who it is)', () => {
    // composite people1's audience woman at her first detections: eye 0.17-0.21, jaw 0.56-0.62
    const turned = spans(0.19, 0.6);
    assert.equal(looksLikeFace(turned, box, true), true);
    assert.equal(isClearView(turned, box), false);
    assert.equal(isClearView(spans(0.3, 0.75), box), true);
  });

  test('what testsrc makes the detector see is no face at first sight; a face already followed keeps a wider margin', () => {
    // one testsrc frame at 3840x2160: eye 0.21, jaw 0.53; typical testsrc detections: eye 0.04-0.08, jaw 0.20-0.43
    assert.equal(looksLikeFace(spans(0.21, 0.53), box, true), false);
    assert.equal(looksLikeFace(spans(0.06, 0.3), box, false), false);
    assert.equal(looksLikeFace(spans(0.21, 0.53), box, false), true);
  });
});
