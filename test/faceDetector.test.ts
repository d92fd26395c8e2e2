import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { decodeTinyFaceGrid, TINY_FACE_CELL } from '../src/detection/tinyFaceDecoder.js';
import { TinyFaceDetector } from '../src/detection/tinyFaceDetector.js';
import { readDlibBoxes } from '../src/eval/dlibBoxes.js';
import { decodeImageFile } from '../src/image/decodeImage.js';
import { iou, type RgbImage } from '../src/image/rgbImage.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { shared, SHARED_MISSING } from './helpers/sharedData.js';

const dir = shared('annotated_faces');
const photos = shared('pyfeat_media');

test('the face grid decodes a frame-shaped grid (rows != cols) cell by cell', () => {
  // 2 rows x 3 cols x 5 anchors x 5 values; one box at row 1, col 2, anchor 0, centred in its cell.
  const [rows, cols] = [2, 3];
  const grid = new Float32Array(rows * cols * 25).fill(-20);
  const o = ((1 * cols + 2) * 5 + 0) * 5;
  grid.set([0, 0, 0, 0, 20], o); // sigmoid(0) = 0.5: the cell's centre; exp(0) = 1: the anchor's size
  const [d] = decodeTinyFaceGrid(grid, rows, cols, 0.5);
  const c = TINY_FACE_CELL;
  assert.deepEqual([d.box.x + d.box.width / 2, d.box.y + d.box.height / 2], [2.5 * c, 1.5 * c]);
  assert.equal(decodeTinyFaceGrid(grid, rows, cols, 0.5).length, 1);
});

describe('a frame runs on its own shape', { skip: !photos && SHARED_MISSING }, () => {
  const pool = new InferencePool();
  after(() => pool.close());

  test('a wide photo finds the faces that the same photo letterboxed into a square (as face-api does) finds', async () => {
    // Only the black rows below the photo differ, and the network sees far: scores move by a few hundredths
    // (a face at 0.50 may cross minScore either way), boxes by a pixel. Clear faces are the same.
    const detector = await TinyFaceDetector.load(pool, 'cpu', { inputSize: [608, 320] });
    const shapes: number[][] = [];
    const run = pool.runWhenRoom.bind(pool);
    const bytes: boolean[] = [];
    pool.runWhenRoom = (key, feeds) => {
      const [input] = Object.values(feeds);
      shapes.push([...input.dims]);
      bytes.push(input.data instanceof Uint8Array);
      return run(key, feeds);
    };
    for (const file of ['multi_face.jpg']) {
      const wide = await decodeImageFile(join(photos!, file));
      const square: RgbImage = { width: wide.width, height: wide.width, data: new Uint8Array(wide.width * wide.width * 3) };
      square.data.set(wide.data);
      const fromWide = (await detector.detect([wide]))[0];
      // 1000x667 shrunk to 608x406 and 320x213: the rows run up to the next multiple of 32, not to a square.
      // The pixels go interleaved (NHWC), as bytes.
      assert.deepEqual(shapes.splice(0).sort(), [
        [1, 224, 320, 3],
        [1, 416, 608, 3],
      ]);
      assert.deepEqual(bytes.splice(0), [true, true]);
      const fromSquare = (await detector.detect([square]))[0];
      const clear = (faces: typeof fromWide) => faces.filter((f) => f.score >= 0.6);
      assert.ok(clear(fromWide).length >= 1, file);
      assert.equal(clear(fromWide).length, clear(fromSquare).length, file);
      for (const f of clear(fromSquare)) {
        const same = fromWide.find((w) => iou(w.box, f.box) > 0.95);
        assert.ok(same, `${file}: the same box either way`);
        assert.ok(Math.abs(same.score - f.score) < 0.05, `${file}: score ${same.score} against ${f.score}`);
      }
    }
  });
});

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
