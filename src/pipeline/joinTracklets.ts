import { coPresentIds } from './coPresence.js';
import type { FrameRecord } from './faceRecords.js';
import { euclidean, REID_MAX_DISTANCE } from '../tracking/identityGallery.js';

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
 * The default `maxDistance`, between the online gallery's 0.5 for one pair of faces and dlib's own cut between
 * people (0.6 on LFW pairs): a mean over many pairs is steadier than one pair, and the cannot-link rule keeps
 * apart everyone ever on screen together. Chosen on the real composites looked at (npm run bench:tracking --
 * --identity-pass whole-video --join-distance D, seeds 1-24): at 0.6 two different people's IDs were joined in
 * two of the 24 (means 0.584 and 0.595: small, half-hidden faces), at 0.55 and 0.5 none; IDF1 0.807 / 0.794 /
 * 0.793 at 0.6 / 0.55 / 0.5. One ID given to two people is the worse error for per-person outputs.
 */
export const JOIN_MAX_DISTANCE = 0.55;

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
  // A group seen in one sample is one look at a face (often entering, turned or half hidden): it is held to the
  // online gallery's bound for a single pair of faces (REID_MAX_DISTANCE), not to the looser bound that a mean
  // over many looks on both sides earns.
  const bound = (a: Group, b: Group) =>
    Math.min(a.samples.length, b.samples.length) > 1 ? options.maxDistance : Math.min(options.maxDistance, REID_MAX_DISTANCE);
  const distance = (a: Group, b: Group) => {
    if (!compatible(a, b, together, options.acrossCuts)) return Infinity;
    const d = meanDistance(a.samples, b.samples);
    return d <= bound(a, b) ? d : Infinity;
  };
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
