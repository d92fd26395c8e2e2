import { execFileSync } from 'node:child_process';
import { renameSync } from 'node:fs';
import { ffmpegTools } from './ffmpegBinaries.js';

export interface SlideshowOptions {
  width: number;
  height: number;
  fps: number;
  /** Frames each photo is shown, slowly zooming in on its centre (faces move and grow), then a hard cut. */
  framesPerPhoto: number;
}

/** Encodes photos into an H.264 slideshow with ffmpeg (written to a temporary name, then renamed). */
export function makeSlideshow(photos: string[], out: string, o: SlideshowOptions): void {
  const shot = (i: number) =>
    `[${i}:v]scale=${o.width}:${o.height}:force_original_aspect_ratio=decrease,pad=${o.width}:${o.height}:(ow-iw)/2:(oh-ih)/2,setsar=1,` +
    `zoompan=z='1+0.003*on':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':d=${o.framesPerPhoto}:s=${o.width}x${o.height}:fps=${o.fps}[v${i}]`;
  const graph = `${photos.map((_, i) => shot(i)).join(';')};${photos.map((_, i) => `[v${i}]`).join('')}concat=n=${photos.length}:v=1:a=0,format=yuv420p[v]`;
  const tmp = `${out}.tmp.mp4`;
  const encode = (codec: string[]) =>
    execFileSync(
      ffmpegTools().ffmpeg,
      [
        '-v',
        'error',
        '-y',
        ...photos.flatMap((p) => ['-i', p]),
        '-filter_complex',
        graph,
        '-map',
        '[v]',
        ...codec,
        '-movflags',
        '+faststart',
        tmp,
      ],
      {
        stdio: ['ignore', 'inherit', 'pipe'],
      },
    );
  try {
    encode(['-c:v', 'libx264', '-preset', 'medium', '-crf', '23']);
  } catch {
    // A system ffmpeg (preferred over the npm one) may be built without libx264; mpeg4 is in every build.
    encode(['-c:v', 'mpeg4', '-q:v', '3']);
  }
  renameSync(tmp, out);
}
