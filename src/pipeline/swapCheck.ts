import { centreDistance, iou } from '../image/rgbImage.js';
import { euclidean } from '../tracking/identityGallery.js';
import type { FrameRecord } from './faceRecords.js';

/**
 * Signs that a track passed from one person to another, found without ground truth (any real video, tests):
 * - a jump: between two consecutive frames the box centre moved more than one face width (a face moves less
 *   than that between frames at 25 fps); "onto another face" when the new box lands on a box another track had
 *   in the frame before (the ID took over a neighbour);
 * - a split: the track's appearance descriptors fall into two groups further apart than one person's
 *   descriptors are (2-means; dlib's net separates people at 0.6).
 */
export interface TrackSwapReport {
  trackId: number;
  frames: number;
  /** Frames at which the box jumped (more than one face width from the frame before). */
  jumps: number[];
  /** The jumps whose new box overlaps (IoU > 0.3) a box another track had in the frame before. */
  jumpsOntoAnotherFace: number[];
  /** Descriptors taken of this track. */
  samples: number;
  /** Distance between the two groups' means (2-means), when each has at least two samples. */
  splitDistance?: number;
  /** `splitDistance` above SPLIT_DISTANCE: two people under one ID, by appearance. */
  split: boolean;
}

/** Between the means of two groups of one track's descriptors: more than this is two people (dlib's 0.6). */
export const SPLIT_DISTANCE = 0.6;

export function swapCheck(frames: FrameRecord[]): TrackSwapReport[] {
  const reports = new Map<number, TrackSwapReport & { descriptors: Float32Array[] }>();
  for (const [i, f] of frames.entries()) {
    const before = i > 0 ? frames[i - 1].faces : [];
    for (const face of f.faces) {
      let r = reports.get(face.trackId);
      if (!r)
        reports.set(
          face.trackId,
          (r = { trackId: face.trackId, frames: 0, jumps: [], jumpsOntoAnotherFace: [], samples: 0, split: false, descriptors: [] }),
        );
      r.frames++;
      if (face.descriptor) r.descriptors.push(face.descriptor);
      const prev = before.find((p) => p.trackId === face.trackId);
      if (!prev) continue;
      if (centreDistance(face.box, prev.box) <= prev.box.width) continue;
      r.jumps.push(f.frameIndex);
      if (before.some((p) => p.trackId !== face.trackId && iou(p.box, face.box) > 0.3)) r.jumpsOntoAnotherFace.push(f.frameIndex);
    }
  }
  return [...reports.values()]
    .sort((a, b) => a.trackId - b.trackId)
    .map(({ descriptors, ...r }) => {
      const splitDistance = twoMeansDistance(descriptors);
      return { ...r, samples: descriptors.length, splitDistance, split: splitDistance !== undefined && splitDistance > SPLIT_DISTANCE };
    });
}

/** 2-means over the samples, seeded with the two furthest apart; the distance between the means, or undefined when a group would have under two. */
function twoMeansDistance(samples: Float32Array[]): number | undefined {
  if (samples.length < 4) return undefined;
  let seeds: [number, number] = [0, 1];
  let far = -1;
  for (let i = 0; i < samples.length; i++)
    for (let j = i + 1; j < samples.length; j++) {
      const d = euclidean(samples[i], samples[j]);
      if (d > far) [far, seeds] = [d, [i, j]];
    }
  let means = [samples[seeds[0]], samples[seeds[1]]];
  let groups: number[] = [];
  for (let iteration = 0; iteration < 10; iteration++) {
    groups = samples.map((s) => (euclidean(s, means[0]) <= euclidean(s, means[1]) ? 0 : 1));
    if (!groups.includes(0) || !groups.includes(1)) return undefined;
    means = [0, 1].map((g) => mean(samples.filter((_, k) => groups[k] === g)));
  }
  const sizes = [0, 1].map((g) => groups.filter((x) => x === g).length);
  return Math.min(...sizes) >= 2 ? euclidean(means[0], means[1]) : undefined;
}

function mean(samples: Float32Array[]): Float32Array {
  const m = new Float32Array(samples[0]?.length ?? 0);
  for (const s of samples) s.forEach((v, k) => (m[k] += v / samples.length));
  return m;
}
