/**
 * Builds samples/video.mp4 at install: a 12 s, 1280x720, 25 fps slideshow of the six MIT-licensed demo
 * photos inside @vladmandic/face-api, each slowly zooming (faces move and grow) with hard cuts between
 * them (tracks must end and restart). 3 to 5 faces per shot. Nothing here is committed.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT, packageDir } from '../util/paths.js';
import { makeSlideshow } from '../video/slideshow.js';

const out = join(PACKAGE_ROOT, 'samples', 'video.mp4');
if (existsSync(out) && !process.argv.includes('--force')) process.exit(0);

const demo = join(packageDir('@vladmandic/face-api'), 'demo');
mkdirSync(join(PACKAGE_ROOT, 'samples'), { recursive: true });
makeSlideshow(
  [1, 2, 3, 4, 5, 6].map((i) => join(demo, `sample${i}.jpg`)),
  out,
  { width: 1280, height: 720, fps: 25, framesPerPhoto: 50 },
);
console.log('fer-stream: built samples/video.mp4 (12 s, 1280x720, from the face-api demo photos)');
