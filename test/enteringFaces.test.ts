import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Detection, DetectionSet, Detector } from '../src/detection/detector.js';
import type { RgbImage } from '../src/image/rgbImage.js';
import { uniformEnsemble } from './helpers/uniformEnsemble.js';
import { VideoFaceLabeler } from '../src/pipeline/videoFaceLabeler.js';

/**
 * The detector looks again two frames after a weak candidate appears at the frame's edge (a face coming in),
 * not at the next scheduled detection; a weak box that stays put at the edge does not keep it detecting.
 * Scripted detector and members: which frames were detected is the whole answer.
 */
async function detectedFrames(weakAt: (frame: number) => Detection[]): Promise<number[]> {
  const frames: RgbImage[] = Array.from({ length: 20 }, () => ({ width: 640, height: 480, data: new Uint8Array(640 * 480 * 3).fill(90) }));
  const face: Detection = { box: { x: 300, y: 200, width: 80, height: 80 }, score: 0.9 };
  const sets = (images: RgbImage[]): DetectionSet[] => images.map((img) => ({ faces: [face], weak: weakAt(frames.indexOf(img)) }));
  const detector: Detector = { detect: async (images) => sets(images).map((s) => s.faces), detectWithWeak: async (images) => sets(images) };
  const ensemble = uniformEnsemble();
  const labeler = new VideoFaceLabeler(detector, ensemble, { detectEvery: 10, rejectNonFaces: false });
  const records = await labeler.label(frames.map((image, frameIndex) => ({ image, frameIndex, ptsMs: frameIndex * 33 })));
  return records.filter((r) => r.detected).map((r) => r.frameIndex);
}

const edge = (x: number): Detection => ({ box: { x: 0, y: 100, width: x, height: 70 }, score: 0.3 });

test('a weak candidate coming in at the edge brings the next detection forward; a static one does not keep it there', async () => {
  assert.deepEqual(await detectedFrames(() => []), [0, 10]);
  // Coming in from the left edge: new at frame 0, then seen again further in (IoU 0.43 with the first).
  assert.deepEqual(await detectedFrames((f) => (f === 0 ? [edge(30)] : f === 2 ? [edge(70)] : [])), [0, 2, 4, 10]);
  // The same box at every detection: looked at once more, then it is part of the scene.
  assert.deepEqual(await detectedFrames(() => [edge(30)]), [0, 2, 10]);
});
