import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FaceDetector } from '../src/detection/faceDetector.js';
import { readDlibBoxes } from '../src/eval/dlibBoxes.js';
import { decodeImageFile } from '../src/image/decodeImage.js';
import { iou } from '../src/image/rgbImage.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { shared, SHARED_MISSING } from './helpers/sharedData.js';

const dir = shared('annotated_faces');

describe('default face detector', { skip: !dir && SHARED_MISSING }, () => {
  const pool = new InferencePool();
  after(() => pool.close());

  test('recall >= 85% at IoU >= 0.4 on annotated faces of 40 px and more; nothing in dogs.jpg', async () => {
    const detector = await FaceDetector.load(pool, 'cpu', { inputSize: 608 });
    const truth = new Map([...readDlibBoxes(join(dir!, 'training.xml')), ...readDlibBoxes(join(dir!, 'testing.xml'))]);
    let found = 0;
    let total = 0;
    for (const [file, boxes] of truth) {
      const [dets] = await detector.detect([await decodeImageFile(join(dir!, file))]);
      for (const b of boxes.filter((x) => Math.max(x.width, x.height) >= 40)) {
        total++;
        if (dets.some((d) => iou(d.box, b) >= 0.4)) found++;
      }
    }
    assert.equal(total, 21);
    assert.ok(found / total >= 0.85, `recall ${found}/${total}`);
    const [dogs] = await detector.detect([await decodeImageFile(join(dir!, 'dogs.jpg'))]);
    assert.equal(dogs.length, 0);
  });
});
