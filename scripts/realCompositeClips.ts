/**
 * Tracking ground truth from real faces: clips composed from real single-person videos (the shared
 * WolfgangLanger_Pexels.mp4, single_face.mp4, face_noface.mov, noface_face.mov), two to four people on one
 * canvas, each moving, crossing and passing in front of another (the later layer hides the earlier: its
 * whole picture is opaque), at its own scale, with camera shake. Identity and the face box of every frame are
 * known by construction: each source's own single-face track (the detector on every frame of the source,
 * kept only where it finds exactly one face) moved and scaled as the source is. A face more than half
 * covered by a later layer is not in the truth for that frame (it is hidden).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import type { Detector } from '../src/detection/detector.js';
import type { Box } from '../src/image/rgbImage.js';
import { seededRandom } from '../src/util/seededRandom.js';
import { ffmpegTools } from '../src/video/ffmpegBinaries.js';
import { probeVideo } from '../src/video/probeVideo.js';
import { videoFrames } from '../src/video/videoFrames.js';

export const COMPOSITE_W = 1280;
export const COMPOSITE_H = 720;
export const COMPOSITE_FRAMES = 200;
const FPS = 25;

export interface CompositeTruth {
  seed: number;
  sources: string[];
  /** Per frame, the visible faces: `id` is the source's index + 1. */
  frames: { id: number; box: Box }[][];
}

/** Each source's face box per decoded frame (undefined where the detector did not find exactly one face). */
async function sourceTrack(
  path: string,
  detector: Detector,
  cacheDir: string,
): Promise<{ width: number; height: number; boxes: (Box | undefined)[] }> {
  const cache = join(cacheDir, `${path.replace(/\W+/g, '_')}.track.json`);
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8'));
  const info = await probeVideo(path);
  const frames = await lastValueFrom(videoFrames(info).pipe(toArray()));
  const boxes: (Box | undefined)[] = [];
  for (const f of frames) {
    const found = (await detector.detect([f.image]))[0];
    boxes.push(found.length === 1 ? found[0].box : undefined);
    f.release?.();
  }
  const track = { width: info.width, height: info.height, boxes };
  writeFileSync(cache, JSON.stringify(track));
  return track;
}

interface Layer {
  source: string;
  scale: number;
  /** Top-left corner at frame i. */
  at: (i: number) => { x: number; y: number };
  /** The source frame shown at composite frame i (sources are looped, starting at an offset). */
  frameOf: (i: number) => number;
}

/**
 * Makes composite clip `seed` into `dir` (clip<seed>.mp4 and .json) from `sources` (2-4 paths), or returns
 * what is there.
 */
export async function makeRealComposite(
  dir: string,
  seed: number,
  sources: string[],
  detector: Detector,
): Promise<{ video: string; truth: CompositeTruth }> {
  mkdirSync(dir, { recursive: true });
  const video = join(dir, `real${seed}.mp4`);
  const truthFile = join(dir, `real${seed}.json`);
  if (existsSync(video) && existsSync(truthFile)) return { video, truth: JSON.parse(readFileSync(truthFile, 'utf8')) };
  const random = seededRandom(seed * 7919);
  const tracks: Awaited<ReturnType<typeof sourceTrack>>[] = [];
  for (const s of sources) tracks.push(await sourceTrack(s, detector, dir));
  const n = sources.length;
  const layers: Layer[] = sources.map((source, k) => {
    const t = tracks[k];
    // Sizes differ (one person nearer the camera), and the layers cross: each swings across the canvas.
    const scale = ((0.35 + 0.35 * random()) * COMPOSITE_H) / t.height;
    const w = t.width * scale;
    const h = t.height * scale;
    const home = ((k + 0.5) / n) * COMPOSITE_W - w / 2;
    const swing = (0.35 + 0.3 * random()) * COMPOSITE_W;
    const period = 120 + 160 * random();
    const phase = random() * 2 * Math.PI;
    const y0 = random() * (COMPOSITE_H - h);
    const frames = t.boxes.length;
    const offset = Math.floor(random() * frames);
    return {
      source,
      scale,
      at: (i) => ({
        x: Math.round(Math.min(COMPOSITE_W - w / 2, Math.max(-w / 2, home + (swing / 2) * Math.sin((2 * Math.PI * i) / period + phase)))),
        y: Math.round(y0 + 20 * Math.sin(i / 9 + k)),
      }),
      frameOf: (i) => (offset + i) % frames,
    };
  });
  // Camera shake: the whole canvas moves a few pixels, the same for every layer.
  const shake = (i: number) => ({ x: Math.round(6 * Math.sin(i * 1.7 + seed)), y: Math.round(4 * Math.cos(i * 2.3 + seed)) });

  const truth: CompositeTruth = { seed, sources, frames: [] };
  for (let i = 0; i < COMPOSITE_FRAMES; i++) {
    const rects = layers.map((l, k) => ({ ...l.at(i), width: tracks[k].width * l.scale, height: tracks[k].height * l.scale }));
    const faces: { id: number; box: Box }[] = [];
    layers.forEach((l, k) => {
      const b = tracks[k].boxes[l.frameOf(i)];
      if (!b) return;
      const s = shake(i);
      const box = {
        x: rects[k].x + s.x + b.x * l.scale,
        y: rects[k].y + s.y + b.y * l.scale,
        width: b.width * l.scale,
        height: b.height * l.scale,
      };
      // Hidden by a later layer's picture over more than half of it, or mostly off the canvas.
      const covered = Math.max(
        0,
        ...rects.slice(k + 1).map((r) => overlapArea(box, { ...r, x: r.x + s.x, y: r.y + s.y }) / (box.width * box.height)),
      );
      const onCanvas = overlapArea(box, { x: 0, y: 0, width: COMPOSITE_W, height: COMPOSITE_H }) / (box.width * box.height);
      if (covered <= 0.5 && onCanvas >= 0.5) faces.push({ id: k + 1, box });
    });
    truth.frames.push(faces);
  }

  // One ffmpeg: each source looped from its offset, scaled, overlaid at its per-frame position (expressions in
  // the frame number n), then the shake as a crop of a padded canvas.
  const { ffmpeg } = ffmpegTools();
  const inputs = sources.flatMap((s) => ['-stream_loop', '-1', '-i', s]);
  const filters: string[] = [`color=c=0x404040:s=${COMPOSITE_W + 40}x${COMPOSITE_H + 40}:r=${FPS}:d=${COMPOSITE_FRAMES / FPS}[bg0]`];
  layers.forEach((l, k) => {
    const t = tracks[k];
    // Decoded frames, counted exactly (trim by frame number, then one composite frame each): variable-rate
    // sources keep their frame-to-truth mapping.
    filters.push(
      `[${k}:v]trim=start_frame=${l.frameOf(0)},setpts=N/${FPS}/TB,scale=${Math.round(t.width * l.scale)}:${Math.round(t.height * l.scale)}[s${k}]`,
    );
    const xs = Array.from({ length: COMPOSITE_FRAMES }, (_, i) => l.at(i).x + 20);
    const ys = Array.from({ length: COMPOSITE_FRAMES }, (_, i) => l.at(i).y + 20);
    filters.push(`[bg${k}][s${k}]overlay=x='${expression(xs)}':y='${expression(ys)}':eof_action=repeat[bg${k + 1}]`);
  });
  const sx = Array.from({ length: COMPOSITE_FRAMES }, (_, i) => 20 - shake(i).x);
  const sy = Array.from({ length: COMPOSITE_FRAMES }, (_, i) => 20 - shake(i).y);
  filters.push(`[bg${n}]crop=${COMPOSITE_W}:${COMPOSITE_H}:x='${expression(sx)}':y='${expression(sy)}'[out]`);
  execFileSync(ffmpeg, [
    '-v',
    'error',
    '-y',
    ...inputs,
    '-filter_complex',
    filters.join(';'),
    '-map',
    '[out]',
    '-frames:v',
    String(COMPOSITE_FRAMES),
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    '-crf',
    '20',
    video,
  ]);
  writeFileSync(truthFile, JSON.stringify(truth));
  return { video, truth };
}

function overlapArea(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** A per-frame table as an ffmpeg expression in n: a binary tree of if(lt(n,k),...) over the values. */
function expression(values: number[], lo = 0, hi = values.length): string {
  if (hi - lo === 1) return String(values[lo]);
  const mid = (lo + hi) >> 1;
  return `if(lt(n\\,${mid})\\,${expression(values, lo, mid)}\\,${expression(values, mid, hi)})`;
}
