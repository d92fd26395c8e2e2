import { coPresentIds } from './coPresence.js';
import type { FrameRecord } from './faceRecords.js';
import { euclidean, REID_MAX_DISTANCE } from '../tracking/identityGallery.js';
import { REATTACH_MAX_DISTANCE } from '../tracking/faceTracker.js';
import { centreDistance, type Box } from '../image/rgbImage.js';

/**
 * The whole-video identity pass (file mode): the online tracker must decide at each frame, so a person who
 * turned away, was hidden longer than its gap or came back after a cut may hold several IDs. Knowing the whole
 * video, the IDs (tracklets) are joined by appearance, nearest pair of groups first (average linkage over
 * their descriptors), never two that share a frame (cannot-link: co-presence means two people) and, within
 * shots, never across a scene cut. An ID that begins where another ended moments before, with no other face
 * there, may join it on a looser appearance bound or none (bridges, BRIDGE_MAX_GAP).
 */
export interface JoinOptions {
  /**
   * Largest mean descriptor distance between two groups of one person. Average linkage is stricter than the
   * online gallery's nearest sample for people (every pair counts) and looser for one person's bad samples.
   */
  maxDistance: number;
  /** Join across scene cuts (re-identification `across-cuts`); else only within a shot. */
  acrossCuts: boolean;
  /**
   * Bridges: an ID that ends and one that begins at most this many frames later where it ended (and no other face
   * begins or ends there then) may be joined within the tracker's own bound for taking a face back
   * (REATTACH_MAX_DISTANCE), or without descriptors; 0: off. Default BRIDGE_MAX_GAP.
   */
  bridgeGap?: number;
}

export interface JoinResult {
  /** New records (the input is left as it is), each joined ID renamed to its group's first ID. */
  frames: FrameRecord[];
  /** Joins made (IDs before minus IDs after). */
  joins: number;
}

/**
 * The default `maxDistance`, a little above the online gallery's bound for one pair of faces (a mean over many
 * pairs is steadier than one pair, and the cannot-link rule keeps apart everyone ever on screen together). Chosen on the real
 * composites looked at (npm run bench:tracking -- --identity-pass whole-video --join-distance D, seeds 1-24): with
 * box-framed descriptors, at 0.6 two different people's IDs were joined in two of the 24 (means 0.584 and 0.595:
 * small, half-hidden faces), at 0.55 and 0.5 none; IDF1 0.807 / 0.794 / 0.793 at 0.6 / 0.55 / 0.5. With faces
 * aligned by their landmarks (faceChip.ts), 0.6 against 0.55: IDF1 0.850 / 7 switches against 0.849 / 8, no ID
 * on two people either way: too little to loosen it. One ID given to two people is the worse error.
 */
export const JOIN_MAX_DISTANCE = 0.55;

/**
 * A person the online tracker lost for a few frames (a hand over the face, a turn, a detection missed) often comes
 * back under a new ID that appearance alone does not join: a half-turned face's descriptors sit 0.55-0.65 from its
 * frontal ones. Where the new ID begins where the old one ended, moments later, with no other face there, the
 * place and time say what appearance cannot. Measured on composites 1-24 (looked at; docs/tracking.md): 8, 15 and
 * 30 frames bridge the same IDs there (the gaps bridged are short); 15 is about half a second.
 */
export const BRIDGE_MAX_GAP = 15;
/** A bridge's ends lie within this many face widths (the larger face's) of each other, centre to centre. */
const BRIDGE_MAX_SHIFT = 1;
/** ... and their faces' widths within this factor of each other. */
const BRIDGE_MAX_SCALE = 1.5;

/** Descriptors a group keeps for linkage: evenly spread over its samples, so a long track costs no more than this. */
const MAX_SAMPLES = 24;

interface Group {
  ids: number[];
  shots: Set<number>;
  samples: Float32Array[];
}

/** Where and when one ID was first and last seen in one run of consecutive frames (an ID may have several). */
interface Span {
  id: number;
  first: number;
  last: number;
  firstBox: Box;
  lastBox: Box;
  /** The shots (scene-cut counts) of its first and last frames. */
  firstShot: number;
  lastShot: number;
}

export function joinTracklets(records: FrameRecord[], options: JoinOptions): JoinResult {
  const groups = new Map<number, Group>();
  const spans: Span[] = [];
  const current = new Map<number, Span>();
  let shot = 0;
  for (const f of records) {
    if (f.sceneCut) shot++;
    for (const face of f.faces) {
      let g = groups.get(face.trackId);
      if (!g) groups.set(face.trackId, (g = { ids: [face.trackId], shots: new Set(), samples: [] }));
      g.shots.add(shot);
      if (face.descriptor) g.samples.push(face.descriptor);
      const span = current.get(face.trackId);
      if (span && span.last === f.frameIndex - 1) Object.assign(span, { last: f.frameIndex, lastBox: face.box, lastShot: shot });
      else {
        const run = {
          id: face.trackId,
          first: f.frameIndex,
          last: f.frameIndex,
          firstBox: face.box,
          lastBox: face.box,
          firstShot: shot,
          lastShot: shot,
        };
        current.set(face.trackId, run);
        spans.push(run);
      }
    }
  }
  let joins = 0;
  // A track that re-identification renamed is one face throughout: its provisional ID joins the person's first.
  for (const f of records)
    for (const { provisional, id } of f.adopted ?? []) {
      const from = groups.get(provisional);
      const to = groups.get(id);
      if (!from || !to || from === to) continue;
      absorb(to, from);
      for (const x of from.ids) groups.set(x, to);
      joins++;
    }
  const bridges = findBridges(spans, options.bridgeGap ?? BRIDGE_MAX_GAP);
  const active = [...new Set(groups.values())]
    .filter((g) => g.samples.length || g.ids.length > 1 || g.ids.some((id) => bridges.has(id)))
    .map((g) => ({ ...g, samples: spread(g.samples) }));
  const together = coPresentIds(records);
  const bridged = (a: Group, b: Group) => a.ids.some((x) => b.ids.some((y) => bridges.get(x)?.has(y)));
  // A group seen in one sample is one look at a face (often entering, turned or half hidden): it is held to the
  // online gallery's bound for a single pair of faces (REID_MAX_DISTANCE), not to the looser bound that a mean
  // over many looks on both sides earns.
  const bound = (a: Group, b: Group) =>
    Math.min(a.samples.length, b.samples.length) > 1 ? options.maxDistance : Math.min(options.maxDistance, REID_MAX_DISTANCE);
  const distance = (a: Group, b: Group) => {
    if (!compatible(a, b, together, options.acrossCuts)) return Infinity;
    const d = a.samples.length && b.samples.length ? meanDistance(a.samples, b.samples) : Infinity;
    if (d <= bound(a, b)) return d;
    if (!bridged(a, b)) return Infinity;
    // A bridge without descriptors on one side joins last, at the bridge's bound.
    if (!Number.isFinite(d)) return REATTACH_MAX_DISTANCE;
    return d <= REATTACH_MAX_DISTANCE ? d : Infinity;
  };
  // Distances between every pair of groups, updated as groups merge (a few hundred tracks at most in practice).
  const d: number[][] = active.map((a) => active.map((b) => (a === b ? Infinity : distance(a, b))));
  const alive = active.map(() => true);
  for (;;) {
    let best: [number, number] | undefined;
    for (let i = 0; i < active.length; i++)
      for (let j = i + 1; j < active.length; j++)
        if (alive[i] && alive[j] && Number.isFinite(d[i][j]) && (!best || d[i][j] < d[best[0]][best[1]])) best = [i, j];
    if (!best) break;
    const [i, j] = best;
    const a = active[i];
    const b = active[j];
    absorb(a, b);
    a.samples = spread(a.samples);
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

/** Joins group `from` into `into`: its IDs, shots and descriptor samples (appended, in order). */
function absorb(into: Group, from: Group): void {
  into.ids.push(...from.ids);
  for (const s of from.shots) into.shots.add(s);
  into.samples.push(...from.samples);
}

/**
 * The pairs of IDs (both ways) where a run of one ends and a run of the other begins at most `maxGap` frames later,
 * where it ended (within BRIDGE_MAX_SHIFT face widths, sizes within BRIDGE_MAX_SCALE), and nothing else does: the
 * ending run has one such successor and the beginning run one such predecessor, so two faces leaving and coming
 * back at one place bridge neither; never over a scene cut. A short ID inside another's gap bridges to it at both
 * ends.
 */
function findBridges(spans: Span[], maxGap: number): Map<number, Set<number>> {
  const bridges = new Map<number, Set<number>>();
  if (maxGap <= 0) return bridges;
  const near = (a: Span, b: Span) => {
    const gap = b.first - a.last;
    // Over a cut, where someone was says nothing about who comes next.
    if (a.id === b.id || gap < 1 || gap > maxGap || a.lastShot !== b.firstShot) return false;
    const w = Math.max(a.lastBox.width, b.firstBox.width);
    const scale = w / Math.min(a.lastBox.width, b.firstBox.width);
    return scale <= BRIDGE_MAX_SCALE && centreDistance(a.lastBox, b.firstBox) <= BRIDGE_MAX_SHIFT * w;
  };
  // Each pair looked at once: every run's possible successors and predecessors.
  const after = new Map<Span, Span[]>(spans.map((s) => [s, []]));
  const before = new Map<Span, Span[]>(spans.map((s) => [s, []]));
  for (const a of spans)
    for (const b of spans)
      if (near(a, b)) {
        after.get(a)!.push(b);
        before.get(b)!.push(a);
      }
  for (const a of spans) {
    const next = after.get(a)!;
    if (next.length !== 1 || before.get(next[0])!.length !== 1) continue;
    const [id, other] = [a.id, next[0].id];
    if (!bridges.has(id)) bridges.set(id, new Set());
    if (!bridges.has(other)) bridges.set(other, new Set());
    bridges.get(id)!.add(other);
    bridges.get(other)!.add(id);
  }
  return bridges;
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
