import type { Device } from '../models/ort/device.js';
import type { InferencePool } from '../models/ort/inferencePool.js';
import { FEATURE_SETS, type HeadWeights } from '../models/import/baggedEnsembleGraph.js';
import { Ensemble } from '../models/ensemble.js';
import { loadManifest } from '../models/manifest.js';
import { extractMemberFeatures, featureMembers, type FeatureMember } from './memberFeatures.js';
import { extractFeatures, type FaceFeatures, type FeatureView } from './featureCache.js';
import { headProbs, type Rows } from './headTrainer.js';
import type { LabelledFace } from './trainingSet.js';

/** One view of a set's faces: the trunk's outputs, and the feature sets (the trunk's and feature members') by name. */
export interface ViewData extends FaceFeatures {
  sets: Record<string, Float32Array>;
}

export interface SetData {
  name: string;
  faces: LabelledFace[];
  plain: ViewData;
  /** The views its rows come from: plain, mirrored and jittered for training; plain alone for validation. */
  views: ViewData[];
}

/** Where heads' features come from: the trunk, and the networks of a `--features` manifest beside it. */
export interface FeatureSources {
  /** The feature members (empty without a features manifest). */
  extra: FeatureMember[];
  /** The loaded networks of those members only (a manifest may list others). */
  ensemble?: Ensemble;
  /** Where the trunk runs when its features are not cached. */
  device: Device;
}

/** Opens a `--features` manifest (checked first: a bad one fails in one line, naming the field), or none. */
export async function openFeatureSources(
  pool: InferencePool,
  featuresManifest: string | undefined,
  device: Device,
): Promise<FeatureSources> {
  if (!featuresManifest) return { extra: [], device };
  const manifest = loadManifest(featuresManifest, { externalLandmarks: true });
  const extra = featureMembers(manifest, FEATURE_SETS);
  const ensemble = await Ensemble.load({ ...manifest, members: manifest.members.filter((m) => m.outputs.features) }, pool, device);
  return { extra, ensemble, device };
}

/** Every feature set of one view of faces, from the caches or by running the branches once. */
export async function loadView(
  pool: InferencePool,
  sources: FeatureSources,
  faces: LabelledFace[],
  view: FeatureView,
  say: (what: string) => (done: number) => void,
): Promise<ViewData> {
  const paths = faces.map((f) => f.path);
  const trunk = await extractFeatures(pool, paths, view, sources.device, say(''));
  const members = sources.ensemble
    ? await extractMemberFeatures(
        sources.ensemble,
        sources.extra,
        paths,
        view,
        trunk.landmarks,
        say(` of ${sources.extra.map((m) => m.name).join(', ')}`),
      )
    : {};
  return { ...trunk, sets: { ...trunk.features, ...members } };
}

/** Head rows of a set: the named feature sets concatenated, for the given faces in every view of the set. */
export function rowsOf(set: SetData, features: string[], indices: number[]): Rows {
  const width = features.reduce((a, f) => a + set.plain.sets[f].length / set.plain.count, 0);
  const views = set.views;
  const count = indices.length * views.length;
  const rows: Rows = {
    count,
    width,
    x: new Float32Array(count * width),
    targets: new Float32Array(count * 7),
    landmarks: new Float32Array(count * 136),
    labels: new Int32Array(count),
  };
  let r = 0;
  for (const view of views) {
    for (const i of indices) {
      let offset = r * width;
      for (const f of features) {
        const w = view.sets[f].length / view.count;
        rows.x.set(view.sets[f].subarray(i * w, (i + 1) * w), offset);
        offset += w;
      }
      rows.targets.set(set.faces[i].target, r * 7);
      rows.landmarks.set(view.landmarks.subarray(i * 136, (i + 1) * 136), r * 136);
      rows.labels[r] = set.faces[i].label;
      r++;
    }
  }
  return rows;
}

/** A head's expression probabilities (CANONICAL_LABELS) on every face of a set, in its views' order. */
export async function probsOn(w: HeadWeights, set: SetData, features: string[]): Promise<Float32Array> {
  const rows = rowsOf(
    set,
    features,
    set.faces.map((_, i) => i),
  );
  return headProbs(w, rows.x, rows.count);
}

export const labelsOf = (set: SetData) => Int32Array.from(set.faces, (f) => f.label);
