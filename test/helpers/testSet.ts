import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { ffmpegTools } from '../../src/video/ffmpegBinaries.js';

/**
 * A small test set in `dir`: `count` short clips cut from the install-built sample video (a face throughout),
 * 640x360, `frames` frames each, starting at different points so their labels differ; optionally a corrupt one.
 */
export function makeTestSet(dir: string, count: number, frames: number, corrupt = false): string[] {
  mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `clip${i + 1}.mp4`);
    execFileSync(ffmpegTools().ffmpeg, [
      '-v',
      'error',
      '-y',
      '-ss',
      String(i * 2),
      '-i',
      join(PACKAGE_ROOT, 'samples', 'video.mp4'),
      '-frames:v',
      String(frames),
      '-vf',
      'scale=640:360',
      '-an',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      path,
    ]);
    paths.push(path);
  }
  if (corrupt) {
    const path = join(dir, 'broken.mp4');
    writeFileSync(path, Buffer.from('this is not a video at all, just text with an mp4 name'));
    paths.push(path);
  }
  return paths;
}
