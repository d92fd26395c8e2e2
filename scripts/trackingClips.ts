/**
 * Synthetic multi-face clips with known identities, for measuring tracking (bench:tracking). Faces cut from
 * the stills in ../shared/data move over a textured background on seeded paths: several speeds, crossing and
 * occluding each other (the larger face in front), leaving the frame and coming back, growing and
 * shrinking, with camera shake, motion blur on fast faces, and (on odd seeds) a hard cut after which some
 * people return elsewhere. Ground truth: each person's face box in each frame where at least 60% of it is
 * inside the frame and not hidden behind another face.
 *
 *   node dist/scripts/trackingClips.js <out-dir> [seeds=1,2,3,4]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Detector } from '../src/detection/detector.js';
import { decodeImageFile } from '../src/image/decodeImage.js';
import type { Box, RgbImage } from '../src/image/rgbImage.js';
import { SHARED_DATA } from '../src/util/paths.js';
import { ffmpegTools } from '../src/video/ffmpegBinaries.js';
import { seededRandom } from '../src/util/seededRandom.js';

export const CLIP_W = 640;
export const CLIP_H = 480;
export const CLIP_FRAMES = 240;
const SPRITE = 160;

export interface ClipTruth {
  seed: number;
  cuts: number[];
  /** Per frame, each visible person's face box. */
  frames: { id: number; box: Box }[][];
}

interface Sprite {
  image: RgbImage;
  face: Box;
}

const STILLS = [
  ['pyfeat_media', 'angry_black.jpg'],
  ['pyfeat_media', 'sad_asian.jpg'],
  ['pyfeat_media', 'surprise_white.jpg'],
  ['pyfeat_media', 'single_face.jpg'],
  ['expression_examples', 'expressions', 'happy.jpg'],
  ['expression_examples', 'expressions', 'surprised.jpg'],
];

const rng = seededRandom;

function resize(src: RgbImage, region: Box, w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(src.height - 1, Math.max(0, Math.floor(region.y + ((y + 0.5) * region.height) / h)));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(src.width - 1, Math.max(0, Math.floor(region.x + ((x + 0.5) * region.width) / w)));
      const i = (sy * src.width + sx) * 3;
      data.set(src.data.subarray(i, i + 3), (y * w + x) * 3);
    }
  }
  return { width: w, height: h, data };
}

/** Each still's largest face, with a margin, as a square sprite; the face's box inside it. */
async function loadSprites(detector: Detector): Promise<Sprite[]> {
  const sprites: Sprite[] = [];
  for (const parts of STILLS) {
    const image = await decodeImageFile(join(SHARED_DATA, ...parts));
    const [faces] = await detector.detect([image]);
    const face = faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0]?.box;
    if (!face) continue;
    const side = Math.max(face.width, face.height) * 1.8;
    const region = { x: face.x + face.width / 2 - side / 2, y: face.y + face.height / 2 - side / 2, width: side, height: side };
    const k = SPRITE / side;
    sprites.push({
      image: resize(image, region, SPRITE, SPRITE),
      face: { x: (face.x - region.x) * k, y: (face.y - region.y) * k, width: face.width * k, height: face.height * k },
    });
  }
  return sprites;
}

/**
 * A background with no face in it (a photo's dogs and posters are faces to a detector, which would measure
 * the detector, not the tracker): seeded low-frequency colour waves with fine noise, an office wall's worth
 * of texture.
 */
function texturedBackground(seed: number): RgbImage {
  const rand = rng(seed * 7919);
  const w = CLIP_W + 16,
    h = CLIP_H + 16;
  const data = new Uint8Array(w * h * 3);
  const waves = Array.from({ length: 3 }, () =>
    Array.from({ length: 3 }, () => ({ fx: rand() * 0.03, fy: rand() * 0.03, p: rand() * 6, a: 30 + rand() * 40 })),
  );
  const base = [80 + rand() * 100, 80 + rand() * 100, 80 + rand() * 100];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let v = base[c] + (rand() - 0.5) * 16;
        for (const wv of waves[c]) v += wv.a * Math.sin(x * wv.fx + y * wv.fy + wv.p);
        data[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, v));
      }
    }
  }
  return { width: w, height: h, data };
}

interface Person {
  id: number;
  sprite: Sprite;
  x: number;
  y: number;
  vx: number;
  vy: number;
  size: number;
  phase: number;
  after: boolean;
}

/** Draws a sprite scaled to `size` px wide at centre (cx, cy), in an elliptical soft mask, blurred along x by `blur` px. */
function draw(frame: Uint8Array, s: Sprite, cx: number, cy: number, size: number, blur: number) {
  const k = size / SPRITE;
  const x0 = Math.round(cx - size / 2),
    y0 = Math.round(cy - size / 2);
  const n = Math.round(size);
  for (let y = 0; y < n; y++) {
    const fy = y0 + y;
    if (fy < 0 || fy >= CLIP_H) continue;
    const sy = Math.min(SPRITE - 1, Math.floor(y / k));
    const ey = (y / n - 0.5) / 0.5;
    for (let x = 0; x < n; x++) {
      const fx = x0 + x;
      if (fx < 0 || fx >= CLIP_W) continue;
      const ex = (x / n - 0.5) / 0.42;
      const r = ex * ex + ey * ey;
      if (r >= 1) continue;
      const alpha = r < 0.8 ? 1 : (1 - r) / 0.2;
      const o = (fy * CLIP_W + fx) * 3;
      for (let c = 0; c < 3; c++) {
        let v = 0;
        const taps = Math.max(1, blur);
        for (let t = 0; t < taps; t++) {
          const sx = Math.min(SPRITE - 1, Math.max(0, Math.floor((x + t - (taps >> 1)) / k)));
          v += s.image.data[(sy * SPRITE + sx) * 3 + c];
        }
        frame[o + c] = frame[o + c] * (1 - alpha) + (v / taps) * alpha;
      }
    }
  }
}

const faceBox = (p: Person, size: number, dx: number, dy: number): Box => {
  const k = size / SPRITE;
  return {
    x: p.x + dx - size / 2 + p.sprite.face.x * k,
    y: p.y + dy - size / 2 + p.sprite.face.y * k,
    width: p.sprite.face.width * k,
    height: p.sprite.face.height * k,
  };
};

const overlapArea = (a: Box, b: Box) =>
  Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)) *
  Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));

/** Writes `<dir>/clip<seed>.mp4` and `<dir>/clip<seed>.json` (ClipTruth). */
export async function makeTrackingClip(
  seed: number,
  dir: string,
  detector: Detector,
  spritesCache?: Sprite[],
): Promise<{ video: string; truth: string }> {
  const sprites = spritesCache ?? (await loadSprites(detector));
  const rand = rng(seed);
  const bg = texturedBackground(seed);
  const cut = seed % 2 === 1 ? Math.round(CLIP_FRAMES * 0.5) : -1;
  const pick = [...sprites.keys()].sort(() => rand() - 0.5).slice(0, 3);
  const speeds = [1.5, 4, 9];
  const people: Person[] = pick.map((k, i) => ({
    id: i + 1,
    sprite: sprites[k],
    x: 100 + i * 220 + rand() * 40,
    y: 150 + rand() * 180,
    vx: speeds[(i + seed) % 3] * (i % 2 ? -1 : 1),
    vy: (rand() - 0.5) * 2,
    size: 110 + rand() * 90,
    phase: rand() * 6,
    after: !(i === seed % 3 && cut > 0), // one person does not come back after the cut
  }));
  const truth: ClipTruth = { seed, cuts: cut > 0 ? [cut] : [], frames: [] };
  const video = join(dir, `clip${seed}.mp4`);
  const ff = spawn(
    ffmpegTools().ffmpeg,
    [
      '-v',
      'error',
      '-y',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${CLIP_W}x${CLIP_H}`,
      '-r',
      '30',
      '-i',
      '-',
      '-c:v',
      'libx264',
      '-preset',
      'fast',
      '-crf',
      '18',
      '-pix_fmt',
      'yuv420p',
      video,
    ],
    { stdio: ['pipe', 'ignore', 'inherit'] },
  );
  const done = new Promise<void>((resolve, reject) =>
    ff.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`)))),
  );
  let shakeX = 0,
    shakeY = 0;
  for (let f = 0; f < CLIP_FRAMES; f++) {
    if (f === cut) {
      // A new shot: the camera looks elsewhere, people stand in new places.
      for (const p of people) {
        p.x = 80 + rand() * 480;
        p.y = 140 + rand() * 200;
        p.vx = -p.vx;
      }
    }
    shakeX = Math.max(-6, Math.min(6, shakeX + (rand() - 0.5) * 3));
    shakeY = Math.max(-6, Math.min(6, shakeY + (rand() - 0.5) * 3));
    const frame = new Uint8Array(CLIP_W * CLIP_H * 3);
    const second = cut > 0 && f >= cut;
    for (let y = 0; y < CLIP_H; y++) {
      for (let x = 0; x < CLIP_W; x++) {
        const sx = second ? CLIP_W + 15 - (x + 8 + Math.round(shakeX)) : x + 8 + Math.round(shakeX);
        const i = ((y + 8 + Math.round(shakeY)) * (CLIP_W + 16) + sx) * 3;
        const o = (y * CLIP_W + x) * 3;
        frame[o] = bg.data[i] * (second ? 0.7 : 1);
        frame[o + 1] = bg.data[i + 1];
        frame[o + 2] = bg.data[i + 2] * (second ? 1.2 : 1) > 255 ? 255 : bg.data[i + 2] * (second ? 1.2 : 1);
      }
    }
    const present = people.filter((p) => !second || p.after);
    const sizes = new Map(present.map((p) => [p, p.size * (1 + 0.25 * Math.sin(f / 35 + p.phase))]));
    // Back to front: the larger (nearer) face hides the smaller.
    const order = [...present].sort((a, b) => sizes.get(a)! - sizes.get(b)!);
    for (const p of order)
      draw(frame, p.sprite, p.x + shakeX, p.y + shakeY, sizes.get(p)!, Math.abs(p.vx) >= 4 ? Math.round(Math.abs(p.vx) / 2) : 1);
    const visible: { id: number; box: Box }[] = [];
    for (const [i, p] of order.entries()) {
      const box = faceBox(p, sizes.get(p)!, shakeX, shakeY);
      const area = box.width * box.height;
      const clipped = {
        x: Math.max(0, box.x),
        y: Math.max(0, box.y),
        width: Math.min(CLIP_W, box.x + box.width) - Math.max(0, box.x),
        height: Math.min(CLIP_H, box.y + box.height) - Math.max(0, box.y),
      };
      if (clipped.width <= 0 || clipped.height <= 0 || (clipped.width * clipped.height) / area < 0.6) continue;
      const hidden = order
        .slice(i + 1)
        .reduce((h, q) => Math.max(h, overlapArea(box, faceBox(q, sizes.get(q)!, shakeX, shakeY)) / area), 0);
      if (hidden > 0.4) continue;
      visible.push({ id: p.id, box: clipped });
    }
    truth.frames.push(visible);
    if (!ff.stdin.write(frame)) await new Promise((r) => ff.stdin.once('drain', r));
    for (const p of people) {
      p.x += p.vx;
      p.y += p.vy;
      // Out past the frame's edge by up to a face width, then back: people leave and return.
      if (p.x < -140 || p.x > CLIP_W + 140) p.vx = -p.vx;
      if (p.y < 120 || p.y > CLIP_H - 120) p.vy = -p.vy;
    }
  }
  ff.stdin.end();
  await done;
  const truthPath = join(dir, `clip${seed}.json`);
  writeFileSync(truthPath, JSON.stringify(truth));
  return { video, truth: truthPath };
}

export async function makeTrackingClips(dir: string, seeds: number[], detector: Detector) {
  mkdirSync(dir, { recursive: true });
  const sprites = await loadSprites(detector);
  const out = [];
  for (const seed of seeds) out.push(await makeTrackingClip(seed, dir, detector, sprites));
  return out;
}
