import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BoxMotion } from '../src/tracking/boxMotion.js';

describe('box motion (constant-velocity Kalman)', () => {
  test('learns a steady motion from boxes seen every 10 frames and predicts the next one', () => {
    const box = (f: number) => ({ x: 100 + 6 * f, y: 200 - 2 * f, width: 80, height: 90 });
    const m = new BoxMotion(box(0), 0);
    for (let f = 10; f <= 60; f += 10) m.update(box(f), f);
    const p = m.at(70);
    assert.ok(Math.abs(p.x - box(70).x) < 3 && Math.abs(p.y - box(70).y) < 3, `predicted ${JSON.stringify(p)}`);
    assert.ok(Math.abs(m.velocity.x - 6) < 0.3 && Math.abs(m.velocity.y + 2) < 0.3);
  });

  test('a still face stays put, and one noisy box moves the estimate only part of the way', () => {
    const m = new BoxMotion({ x: 50, y: 50, width: 100, height: 100 }, 0);
    for (let f = 1; f <= 30; f++) m.update({ x: 50, y: 50, width: 100, height: 100 }, f);
    m.update({ x: 70, y: 50, width: 100, height: 100 }, 31);
    const p = m.at(31);
    assert.ok(p.x > 50 && p.x < 70, `x ${p.x}`);
  });
});
