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
import { dirname, join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import type { Detector } from '../src/detection/detector.js';
import type { Box } from '../src/image/rgbImage.js';
import { SHARED_DATA } from '../src/util/paths.js';
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
  /**
   * Per frame, the visible parts of layers whose face is not known there (the source's detector found none
   * or two): a face may be there, so a predicted box centred in one that matches no true face is neither
   * right nor wrong (MOT's ignore regions).
   */
  ignore: Box[][];
}

/** Longest run of source frames without a single-face detection that is bridged (the face was still there). */
const BRIDGE_FRAMES = 12;

/** Each source's face box per decoded frame (undefined where the detector did not find exactly one face). */
async function sourceTrack(
  path: string,
  detector: Detector,
  cacheDir: string,
): Promise<{ width: number; height: number; boxes: (Box | undefined)[] }> {
  const cache = join(cacheDir, `${path.replace(/\W+/g, '_')}.bridged.json`);
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8'));
  const info = await probeVideo(path);
  const frames = await lastValueFrom(videoFrames(info).pipe(toArray()));
  const boxes: (Box | undefined)[] = [];
  for (const f of frames) {
    const found = (await detector.detect([f.image]))[0];
    boxes.push(found.length === 1 ? found[0].box : undefined);
    f.release?.();
  }
  const track = { width: info.width, height: info.height, boxes: bridgeGaps(boxes) };
  writeFileSync(cache, JSON.stringify(track));
  return track;
}

/**
 * The distinct people the shared videos give, each as a single-person video (cut from a longer one where
 * needed, once, into `cacheDir`): the man of WolfgangLanger_Pexels.mp4; the man of single_face.mp4, who is
 * also the man of the two .mov clips (one of his three clips per seed: the .mov ones leave and come back);
 * Hamilton's performer (frames 84-209, the medium shot between two cuts); and the woman in Hamilton's audience
 * (frames 213-274, cropped to her, the man beside her blacked out). Each composite has each person
 * at most once: two copies of one man on screen would be twins, which no tracker can tell apart by face.
 */
export function personSources(seed: number, cacheDir: string): string[] {
  const media = join(SHARED_DATA, 'pyfeat_media');
  const hamilton = join(SHARED_DATA, 'hamilton_clip', 'short_hamilton_clip.mp4');
  const man = ['single_face.mp4', 'face_noface.mov', 'noface_face.mov'][seed % 3];
  return [
    join(media, 'WolfgangLanger_Pexels.mp4'),
    join(media, man),
    stretch(hamilton, 84, 210, undefined, join(cacheDir, 'hamilton_performer.mp4')),
    // Cropped to her, and the strip where the man beside her shows his profile blacked out.
    stretch(
      hamilton,
      213,
      275,
      'crop=215:300:335:0,drawbox=x=0:y=0:w=42:h=300:color=black:t=fill',
      join(cacheDir, 'hamilton_audience_woman.mp4'),
    ),
  ];
}

/** The two to four people of composite `seed` (its `personSources`, in a seeded order): what bench:tracking scores. */
export function compositeCast(seed: number, cacheDir: string): string[] {
  const random = seededRandom(seed * 104729);
  const order = personSources(seed, cacheDir).map((p) => ({ p, k: random() }));
  return order
    .sort((a, b) => a.k - b.k)
    .slice(0, 2 + (seed % 3))
    .map((o) => o.p);
}

/** Frames [start, end) of `source` (then `filter`, if any) as their own video, made once. */
function stretch(source: string, start: number, end: number, filter: string | undefined, out: string): string {
  if (existsSync(out) || !existsSync(source)) return out;
  mkdirSync(dirname(out), { recursive: true });
  const cropFilter = filter ? `,${filter}` : '';
  encode(source, ['-vf', `trim=start_frame=${start}:end_frame=${end},setpts=PTS-STARTPTS${cropFilter}`], 16, out);
  return out;
}

/** `source` through `filterArgs` into `out`: H.264 at `crf`, video only. */
function encode(source: string, filterArgs: string[], crf: number, out: string): void {
  const { ffmpeg } = ffmpegTools();
  execFileSync(ffmpeg, [
    '-v',
    'error',
    '-y',
    '-i',
    source,
    ...filterArgs,
    '-an',
    '-c:v',
    'libx264',
    '-crf',
    String(crf),
    '-pix_fmt',
    'yuv420p',
    out,
  ]);
}

/**
 * Short runs without a box between two boxes are filled in linearly: a hand over the face or a blink of the
 * detector, not the person leaving (a face that leaves for longer, or at an end, stays unknown).
 */
function bridgeGaps(boxes: (Box | undefined)[]): (Box | undefined)[] {
  const out = [...boxes];
  for (let i = 0; i < out.length; i++) {
    if (out[i] || i === 0 || !out[i - 1]) continue;
    let j = i;
    while (j < out.length && !out[j]) j++;
    if (j === out.length || j - i > BRIDGE_FRAMES) {
      i = j;
      continue;
    }
    const a = out[i - 1]!;
    const b = out[j]!;
    for (let k = i; k < j; k++) {
      const t = (k - i + 1) / (j - i + 1);
      out[k] = {
        x: a.x + (b.x - a.x) * t,
        y: a.y + (b.y - a.y) * t,
        width: a.width + (b.width - a.width) * t,
        height: a.height + (b.height - a.height) * t,
      };
    }
    i = j;
  }
  return out;
}

/**
 * How each source repeats over a composite's 200 frames. `looped`: from its end back to its start, so a person
 * who moves in the source jumps at the seam (up to 1.3 face widths in one frame, with no cut: what no real
 * person does, and most of the online switches the composites counted short of a cut; docs/tracking.md). `seamless`:
 * forward then backward (a ping-pong), so every person moves continuously.
 */
export type CompositeMotion = 'looped' | 'seamless';

/** A command line's `--motion`, checked once. */
export function compositeMotionOf(value: string): CompositeMotion {
  if (value !== 'looped' && value !== 'seamless') throw new Error(`--motion must be looped or seamless, got ${value}`);
  return value;
}

/** Frames 0..n-1 then n-2..1: a ping-pong period, which repeats without a jump. */
function pingPong<T>(frames: T[]): T[] {
  return [...frames, ...frames.slice(1, -1).reverse()];
}

/** `source` as its ping-pong period (`frames` decoded frames forward, then backward without the two ends), made once. */
function pingPongSource(source: string, frames: number, cacheDir: string): string {
  const out = join(cacheDir, `${source.replace(/\W+/g, '_')}.pingpong.mp4`);
  if (existsSync(out)) return out;
  // Counted in decoded frames (trim by frame number, one output frame per input frame): the truth's boxes are
  // per decoded frame, and the .mov sources have a variable rate.
  const filter =
    `[0:v]setpts=N/${FPS}/TB,split[a][b];[b]reverse,trim=start_frame=1:end_frame=${frames - 1},setpts=N/${FPS}/TB[r];` +
    `[a][r]concat=n=2:v=1:a=0,setpts=N/${FPS}/TB[out]`;
  encode(source, ['-filter_complex', filter, '-map', '[out]', ...ffmpegTools().passthroughArgs], 12, out);
  return out;
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
 * Makes composite clip `seed` into `dir` (people<seed>.mp4 and .json, `-seamless` before the extension for that
 * motion) from `cast` (2-4 single-person videos), or returns what is there.
 */
export async function makeRealComposite(
  dir: string,
  seed: number,
  cast: string[],
  detector: Detector,
  motion: CompositeMotion = 'looped',
): Promise<{ video: string; truth: CompositeTruth }> {
  mkdirSync(dir, { recursive: true });
  const name = motion === 'seamless' ? `people${seed}-seamless` : `people${seed}`;
  const video = join(dir, `${name}.mp4`);
  const truthFile = join(dir, `${name}.json`);
  if (existsSync(video) && existsSync(truthFile)) return { video, truth: JSON.parse(readFileSync(truthFile, 'utf8')) };
  const random = seededRandom(seed * 7919);
  const tracks: Awaited<ReturnType<typeof sourceTrack>>[] = [];
  for (const s of cast) tracks.push(await sourceTrack(s, detector, dir));
  const sources = motion === 'seamless' ? cast.map((s, k) => pingPongSource(s, tracks[k].boxes.length, dir)) : cast;
  if (motion === 'seamless') tracks.forEach((t, k) => (tracks[k] = { ...t, boxes: pingPong(t.boxes) }));
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

  const truth: CompositeTruth = { seed, sources: cast, frames: [], ignore: [] };
  for (let i = 0; i < COMPOSITE_FRAMES; i++) {
    const rects = layers.map((l, k) => ({ ...l.at(i), width: tracks[k].width * l.scale, height: tracks[k].height * l.scale }));
    const faces: { id: number; box: Box }[] = [];
    const ignore: Box[] = [];
    layers.forEach((l, k) => {
      const b = tracks[k].boxes[l.frameOf(i)];
      const s = shake(i);
      if (!b) {
        // Unknown face: the whole layer is an ignore region (a later layer may hide part of it; the region is
        // only used for predictions that match no true face, so a little too much is harmless).
        ignore.push({ ...rects[k], x: rects[k].x + s.x, y: rects[k].y + s.y });
        return;
      }
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
    truth.ignore.push(ignore);
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
