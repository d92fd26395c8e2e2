/**
 * Builds samples/video.mp4 at install: a 12 s, 1280x720, 25 fps slideshow of the six MIT-licensed demo
 * photos inside @vladmandic/face-api, each slowly zooming (faces move and grow) with hard cuts between
 * them (tracks must end and restart). 3 to 5 faces per shot. Nothing here is committed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT, packageDir } from '../src/util/paths.js';
import { ffmpegTools } from '../src/video/ffmpegBinaries.js';

const out = join(PACKAGE_ROOT, 'samples', 'video.mp4');
if (existsSync(out) && !process.argv.includes('--force')) process.exit(0);

const demo = join(packageDir('@vladmandic/face-api'), 'demo');
const photos = [1, 2, 3, 4, 5, 6].map((i) => join(demo, `sample${i}.jpg`));
const shot = (i: number) =>
  `[${i}:v]scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,` +
  `zoompan=z='1+0.003*on':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':d=50:s=1280x720:fps=25[v${i}]`;
const graph = `${photos.map((_, i) => shot(i)).join(';')};${photos.map((_, i) => `[v${i}]`).join('')}concat=n=${photos.length}:v=1:a=0,format=yuv420p[v]`;
mkdirSync(join(PACKAGE_ROOT, 'samples'), { recursive: true });
const tmp = `${out}.tmp.mp4`;
execFileSync(
  ffmpegTools().ffmpeg,
  ['-v', 'error', '-y', ...photos.flatMap((p) => ['-i', p]), '-filter_complex', graph, '-map', '[v]', '-c:v', 'libx264', '-preset', 'medium', '-crf', '23', '-movflags', '+faststart', tmp],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
renameSync(tmp, out);
console.log('fer-stream: built samples/video.mp4 (12 s, 1280x720, from the face-api demo photos)');
