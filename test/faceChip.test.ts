import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import sharp from 'sharp';
import { TinyFaceDetector } from '../src/detection/tinyFaceDetector.js';
import { decodeImageFile } from '../src/image/decodeImage.js';
import type { Box, RgbImage } from '../src/image/rgbImage.js';
import { DEFAULT_MANIFEST } from '../src/models/defaultManifest.js';
import { Ensemble } from '../src/models/ensemble.js';
import { FaceDescriber } from '../src/models/faceDescriber.js';
import { loadManifest } from '../src/models/manifest.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { euclidean } from '../src/tracking/identityGallery.js';
import { shared, SHARED_MISSING } from './helpers/sharedData.js';

const photo = shared('annotated_faces', 'bald_guys.jpg');

async function rolled(image: RgbImage, degrees: number): Promise<RgbImage> {
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .rotate(degrees, { background: '#808080' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

describe('descriptors of faces aligned by their landmarks (faceChip)', { skip: !photo && SHARED_MISSING }, () => {
  const pool = new InferencePool({ workers: 2 });
  after(() => pool.close());

  test("the same men rolled by 20 degrees: each is nearest himself, and nearer than the detector's box frames him", async () => {
    const [detector, ensemble, describer] = await Promise.all([
      TinyFaceDetector.load(pool, 'cpu'),
      Ensemble.load(loadManifest(DEFAULT_MANIFEST), pool, 'cpu'),
      FaceDescriber.load(pool, 'cpu'),
    ]);
    const describe = async (faces: { image: RgbImage; box: Box }[]) => {
      const landmarks = (await ensemble.predict(faces)).map((p) => p.landmarks);
      const aligned = await describer.describe(faces.map((f, i) => ({ ...f, landmarks: landmarks[i] })));
      return { aligned, boxed: await describer.describe(faces) };
    };
    // Several bald men, alike at a glance: the different people a descriptor must tell apart.
    const image = await decodeImageFile(photo!);
    const boxes = (await detector.detect([image]))[0].map((d) => d.box);
    const n = boxes.length;
    assert.ok(n >= 3, `${n} faces found`);
    const upright = await describe(boxes.map((box) => ({ image, box })));
    // The photo rolled clockwise by 20 degrees (sharp grows the canvas around it); each box moves with its face's
    // centre and stays upright, as a detector draws it.
    const turnedImage = await rolled(image, 20);
    const a = (20 * Math.PI) / 180;
    const turnedBoxes = boxes.map((b): Box => {
      const dx = b.x + b.width / 2 - image.width / 2;
      const dy = b.y + b.height / 2 - image.height / 2;
      const cx = turnedImage.width / 2 + Math.cos(a) * dx - Math.sin(a) * dy;
      const cy = turnedImage.height / 2 + Math.sin(a) * dx + Math.cos(a) * dy;
      return { x: cx - b.width / 2, y: cy - b.height / 2, width: b.width, height: b.height };
    });
    const turned = await describe(turnedBoxes.map((box) => ({ image: turnedImage, box })));
    let alignedSum = 0;
    let boxedSum = 0;
    for (let i = 0; i < n; i++) {
      const own = euclidean(upright.aligned[i], turned.aligned[i]);
      const others = upright.aligned.filter((_, j) => j !== i).map((d) => euclidean(d, turned.aligned[i]));
      assert.ok(
        own < Math.min(...others),
        `man ${i}: ${own.toFixed(3)} from himself, ${Math.min(...others).toFixed(3)} from the nearest other`,
      );
      alignedSum += own;
      boxedSum += euclidean(upright.boxed[i], turned.boxed[i]);
    }
    // Measured: 0.16 aligned against 0.44 framed by the box (15 faces).
    const said = `mean distance to himself rolled: aligned ${(alignedSum / n).toFixed(3)}, box ${(boxedSum / n).toFixed(3)}`;
    assert.ok(alignedSum / n < 0.25 && alignedSum < boxedSum / 2, said);
  });
});
