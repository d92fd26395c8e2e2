/**
 * Who has been seen, by appearance: a few face descriptors per reported ID, so that a face whose track was
 * lost (an exit, a long occlusion, optionally a scene cut) gets its old ID back when it is seen again.
 * Pure bookkeeping over descriptors; the network that makes them lives in models/faceDescriber.ts.
 */

export interface GalleryOptions {
  /**
   * Largest Euclidean distance between descriptors of one person. face-api's recognition net (dlib's
   * ResNet) is calibrated so that 0.6 separates people (99.4% on LFW pairs); re-attaching a wrong person
   * is worse than a new ID, so the default is stricter. Measured on faces aligned by their landmarks (npm run
   * bench:reid-distances): in the shared videos (129 faces of 4 people) no two different people were within
   * 0.55 (the closest 0.568), 89.0% of same-person pairs within 0.50; but among the 768 photos of 377 named people
   * in wild_expressions_dev, 0.08% of different-people pairs are within 0.50 and 0.67% within 0.55 (0.38% within
   * 0.50 with the box-framed descriptors before). 0.50: fewer false matches than before, more true ones. 0.55
   * tracked the composites a little better (online IDF1 +0.007 to +0.009; docs/tracking.md), but they hold four
   * people, too few to show a false match among many.
   */
  maxDistance?: number;
  /** Descriptors kept per ID: the first sight and the latest ones (a face turns, the light changes). */
  samplesPerIdentity?: number;
  /** IDs remembered at most; the one seen longest ago is forgotten first, so memory stays flat on a stream. */
  capacity?: number;
}

interface Identity {
  samples: Float32Array[];
  lastFrame: number;
}

/** The default `maxDistance` (see GalleryOptions). */
export const REID_MAX_DISTANCE = 0.5;

export class IdentityGallery {
  private readonly identities = new Map<number, Identity>();
  readonly maxDistance: number;
  private readonly samplesPerIdentity: number;
  private readonly capacity: number;

  constructor(options: GalleryOptions = {}) {
    this.maxDistance = options.maxDistance ?? REID_MAX_DISTANCE;
    this.samplesPerIdentity = options.samplesPerIdentity ?? 4;
    this.capacity = options.capacity ?? 512;
  }

  get size(): number {
    return this.identities.size;
  }

  /** Adds a descriptor of `id` seen at `frameIndex`. */
  remember(id: number, frameIndex: number, descriptor: Float32Array): void {
    let identity = this.identities.get(id);
    if (!identity) {
      identity = { samples: [], lastFrame: frameIndex };
      this.identities.set(id, identity);
      if (this.identities.size > this.capacity) this.forgetOldest();
    }
    identity.lastFrame = Math.max(identity.lastFrame, frameIndex);
    // Keep the first sight, replace the oldest of the later ones.
    if (identity.samples.length >= this.samplesPerIdentity) identity.samples.splice(1, 1);
    identity.samples.push(descriptor);
  }

  /** Marks `id` as seen (without a new descriptor), so it is not the next to be forgotten. */
  touch(id: number, frameIndex: number): void {
    const identity = this.identities.get(id);
    if (identity) identity.lastFrame = Math.max(identity.lastFrame, frameIndex);
  }

  /**
   * The remembered ID nearest to `descriptor` within `maxDistance`, leaving out `exclude` (the IDs on screen
   * in the same frame: one person is never two faces) and, given `seenSince`, every ID seen since then. Ties go to the lower ID, so results are reproducible.
   */
  match(descriptor: Float32Array, exclude: ReadonlySet<number>, seenSince?: number): { id: number; distance: number } | undefined {
    let best: { id: number; distance: number } | undefined;
    for (const [id, identity] of this.identities) {
      if (exclude.has(id)) continue;
      // Seen at or after `seenSince` (the new track's first frame): the two were on screen together, so
      // they are two people, however alike they look.
      if (seenSince !== undefined && identity.lastFrame >= seenSince) continue;
      const distance = Math.min(...identity.samples.map((s) => euclidean(s, descriptor)));
      if (distance <= this.maxDistance && (!best || distance < best.distance || (distance === best.distance && id < best.id)))
        best = { id, distance };
    }
    return best;
  }

  /**
   * `from` turned out to be `into` (a track re-identified after its first sight): its samples join
   * `into`'s (the latest kept) and `from` is forgotten, so no later face can take that ID.
   */
  merge(from: number, into: number): void {
    const source = this.identities.get(from);
    if (!source) return;
    this.identities.delete(from);
    for (const sample of source.samples) this.remember(into, source.lastFrame, sample);
  }

  /** Forgets everyone (a scene cut, when IDs are not to cross cuts). */
  clear(): void {
    this.identities.clear();
  }

  private forgetOldest(): void {
    let oldest: [number, Identity] | undefined;
    for (const entry of this.identities) if (!oldest || entry[1].lastFrame < oldest[1].lastFrame) oldest = entry;
    if (oldest) this.identities.delete(oldest[0]);
  }
}

export function euclidean(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}
