import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { TinyFaceDetector } from '../src/detection/tinyFaceDetector.js';
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
    const detector = await TinyFaceDetector.load(pool, 'cpu', { inputSize: 608 });
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

  test('weak candidates: scored between weakScore and minScore, apart from the faces, which are those found without weak candidates', async () => {
    const detector = await TinyFaceDetector.load(pool, 'cpu', { inputSize: [608, 320] });
    const plain = await TinyFaceDetector.load(pool, 'cpu', { inputSize: [608, 320], weakScore: 0.5 });
    const images = await Promise.all(
      ['testing.xml', 'training.xml']
        .flatMap((xml) => [...readDlibBoxes(join(dir!, xml)).keys()])
        .map((file) => decodeImageFile(join(dir!, file))),
    );
    const sets = await detector.detectWithWeak(images);
    const faces = await plain.detect(images);
    assert.deepEqual(
      sets.map((s) => s.faces),
      faces,
    );
    assert.ok((await plain.detectWithWeak(images)).every((s) => s.weak.length === 0));
    const weak = sets.flatMap((s) => s.weak);
    assert.ok(weak.length > 0, 'some weak candidates on these photos');
    for (const [i, s] of sets.entries()) {
      for (const w of s.weak) {
        assert.ok(w.score >= 0.1 && w.score < 0.5, `score ${w.score}`);
        assert.ok(
          faces[i].every((f) => iou(f.box, w.box) < 0.4),
          'a weak candidate is not a face already found',
        );
      }
    }
  });
});
