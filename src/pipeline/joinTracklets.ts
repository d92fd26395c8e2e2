import { coPresentIds } from './coPresence.js';
import type { FrameRecord } from './faceRecords.js';
import { euclidean } from '../tracking/identityGallery.js';

/**
 * The whole-video identity pass (file mode): the online tracker must decide at each frame, so a person who
 * turned away, was hidden longer than its gap or came back after a cut may hold several IDs. Knowing the whole
 * video, the IDs (tracklets) are joined by appearance, nearest pair of groups first (average linkage over
 * their descriptors), never two that share a frame (cannot-link: co-presence means two people) and, within
 * shots, never across a scene cut.
 */
export interface JoinOptions {
  /**
   * Largest mean descriptor distance between two groups of one person. Average linkage is stricter than the
   * online gallery's nearest sample for people (every pair counts) and looser for one person's bad samples.
   */
  maxDistance: number;
  /** Join across scene cuts (re-identification `across-cuts`); else only within a shot. */
  acrossCuts: boolean;
}

export interface JoinResult {
  /** New records (the input is left as it is), each joined ID renamed to its group's first ID. */
  frames: FrameRecord[];
  /** Joins made (IDs before minus IDs after). */
  joins: number;
}

/**
 * The default `maxDistance`: dlib's own calibrated cut between people (0.6 on LFW pairs). Looser than the
 * online gallery's 0.5 because a mean over many pairs is steadier than one nearest pair, and the cannot-link
 * rule keeps apart everyone ever on screen together. Measured on the real composites looked at while building
 * this (npm run bench:tracking -- --composites 1,2,3,4,5,6 --join-distance D, seeds 1-6): IDF1 0.732 / 0.732 /
 * 0.759 / 0.770 at 0.5 / 0.55 / 0.6 / 0.7; 0.7 was not taken because means of two different people's tracks
 * measured 0.58-0.59 there (small, half-hidden faces), held apart only because they were on screen together.
 */
export const JOIN_MAX_DISTANCE = 0.6;

/** Descriptors a group keeps for linkage: evenly spread over its samples, so a long track costs no more than this. */
const MAX_SAMPLES = 24;

interface Group {
  ids: number[];
  shots: Set<number>;
  samples: Float32Array[];
}

export function joinTracklets(records: FrameRecord[], options: JoinOptions): JoinResult {
  const groups = new Map<number, Group>();
  let shot = 0;
  for (const f of records) {
    if (f.sceneCut) shot++;
    for (const face of f.faces) {
      let g = groups.get(face.trackId);
      if (!g) groups.set(face.trackId, (g = { ids: [face.trackId], shots: new Set(), samples: [] }));
      g.shots.add(shot);
      if (face.descriptor) g.samples.push(face.descriptor);
    }
  }
  const active = [...groups.values()].filter((g) => g.samples.length).map((g) => ({ ...g, samples: spread(g.samples) }));
  const together = coPresentIds(records);
  const distance = (a: Group, b: Group) => (compatible(a, b, together, options.acrossCuts) ? meanDistance(a.samples, b.samples) : Infinity);
  // Distances between every pair of groups, updated as groups merge (a few hundred tracks at most in practice).
  const d: number[][] = active.map((a) => active.map((b) => (a === b ? Infinity : distance(a, b))));
  const alive = active.map(() => true);
  let joins = 0;
  for (;;) {
    let best: [number, number] | undefined;
    for (let i = 0; i < active.length; i++)
      for (let j = i + 1; j < active.length; j++)
        if (alive[i] && alive[j] && d[i][j] <= options.maxDistance && (!best || d[i][j] < d[best[0]][best[1]])) best = [i, j];
    if (!best) break;
    const [i, j] = best;
    const a = active[i];
    const b = active[j];
    a.ids.push(...b.ids);
    for (const s of b.shots) a.shots.add(s);
    a.samples = spread([...a.samples, ...b.samples]);
    alive[j] = false;
    joins++;
    for (let k = 0; k < active.length; k++) if (k !== i && alive[k]) d[i][k] = d[k][i] = distance(a, active[k]);
  }
  const renamed = new Map<number, number>();
  active.forEach((g, i) => {
    if (!alive[i]) return;
    const first = Math.min(...g.ids);
    for (const id of g.ids) renamed.set(id, first);
  });
  const frames = records.map((f) => ({
    ...f,
    faces: f.faces.map((face) => ({ ...face, trackId: renamed.get(face.trackId) ?? face.trackId })),
  }));
  return { frames, joins };
}

/** Two groups may be one person: none of their IDs ever on screen together and, within shots, in one shot. */
function compatible(a: Group, b: Group, together: Map<number, Set<number>>, acrossCuts: boolean): boolean {
  if (a.ids.some((x) => b.ids.some((y) => together.get(x)?.has(y)))) return false;
  if (acrossCuts) return true;
  return a.shots.size === 1 && b.shots.size === 1 && [...a.shots][0] === [...b.shots][0];
}

function meanDistance(a: Float32Array[], b: Float32Array[]): number {
  let sum = 0;
  for (const x of a) for (const y of b) sum += euclidean(x, y);
  return sum / (a.length * b.length);
}

function spread(samples: Float32Array[]): Float32Array[] {
  if (samples.length <= MAX_SAMPLES) return samples;
  return Array.from({ length: MAX_SAMPLES }, (_, k) => samples[Math.floor((k * samples.length) / MAX_SAMPLES)]);
}
