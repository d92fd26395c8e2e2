/**
 * Builds samples/crops at install: the faces in the MIT-licensed demo photos that ship inside
 * @vladmandic/face-api, found by fer-stream's own detector and cut out as an ABAW4 LSD-style test folder
 * (0.jpg, 1.jpg, ... plus release.txt). Nothing here is committed; it is rebuilt when missing.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { TinyFaceDetector } from '../detection/tinyFaceDetector.js';
import { decodeImageFile } from '../image/decodeImage.js';
import { InferencePool } from '../models/ort/inferencePool.js';
import { naturalCompare } from '../util/mediaNames.js';
import { PACKAGE_ROOT, packageDir } from '../util/paths.js';

const out = join(PACKAGE_ROOT, 'samples', 'crops');
const release = join(out, 'release.txt');
if (existsSync(release) && !process.argv.includes('--force')) process.exit(0);

const demo = join(packageDir('@vladmandic/face-api'), 'demo');
const photos = readdirSync(demo)
  .filter((f) => /^sample\d+\.jpg$/.test(f))
  .sort(naturalCompare);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const pool = new InferencePool();
try {
  const detector = await TinyFaceDetector.load(pool, 'cpu', { inputSize: 608, minScore: 0.6, minFaceSize: 48 });
  let n = 0;
  for (const photo of photos) {
    const img = await decodeImageFile(join(demo, photo));
    const [faces] = await detector.detect([img]);
    for (const { box } of faces.sort((a, b) => a.box.x - b.box.x)) {
      const side = Math.max(box.width, box.height) * 1.25;
      const left = Math.max(0, Math.round(box.x + box.width / 2 - side / 2));
      const top = Math.max(0, Math.round(box.y + box.height / 2 - side / 2));
      const width = Math.min(img.width - left, Math.round(side));
      const height = Math.min(img.height - top, Math.round(side));
      await sharp(join(demo, photo))
        .rotate()
        .extract({ left, top, width, height })
        .resize(112, 112, { fit: 'fill' })
        .jpeg({ quality: 92 })
        .toFile(join(out, `${n}.jpg`));
      n++;
    }
  }
  writeFileSync(release, ['image,expression', ...Array.from({ length: n }, (_, i) => `${i}.jpg,`)].join('\n') + '\n');
  console.log(`fer-stream: built ${n} sample face crops in samples/crops from ${photos.length} face-api demo photos`);
} finally {
  await pool.close();
}
