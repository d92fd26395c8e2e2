import { statSync } from 'node:fs';
import { cropRegion } from '../image/cropRegion.js';
import { resampleToTensor } from '../image/resampleToTensor.js';
import type { Box, RgbImage } from '../image/rgbImage.js';
import { ensureBuiltinModel } from './import/modelImporter.js';
import { CANONICAL_LABELS } from './labels.js';
import { checkMemberAgainstModel, ManifestError, type EnsembleManifest, type MemberSpec } from './manifest.js';
import type { Device, Provider } from './ort/device.js';
import { isDeviceUnavailable, type InferencePool } from './ort/inferencePool.js';
import { applyTemperature, softVote, type CanonicalProbs } from './softVote.js';

/** One face to label: an image and, for a detected face, its box (none for a face crop). */
export interface FaceInput {
  image: RgbImage;
  box?: Box;
  /** Roll of the face in radians (from its eye line); the crop is turned by it so the face is upright. */
  angle?: number;
}

export interface FacePrediction {
  /** Voted probabilities over CANONICAL_LABELS. */
  probs: Float64Array;
  /** Each member's probabilities over CANONICAL_LABELS (NaN where it lacks a label), after temperature. */
  members: CanonicalProbs[];
  /** 68 (x, y) points in image pixels, averaged over the members that output landmarks. */
  landmarks?: Float32Array;
}

interface LoadedMember {
  spec: MemberSpec;
  key: string;
  /** Members with the same crop key want identical input tensors. */
  cropKey: string;
  inputName: string;
  provider: Provider;
}

function resolveModel(ref: string): string {
  return ref.startsWith('builtin:') ? ensureBuiltinModel(ref.slice('builtin:'.length)) : ref;
}

/** Loads one member's model; a file ONNX Runtime cannot read is a ManifestError naming the member's field. */
async function loadMember(pool: InferencePool, manifest: EnsembleManifest, index: number, key: string, device: Device) {
  const path = resolveModel(manifest.members[index].modelRef);
  try {
    return await pool.load(key, path, device);
  } catch (err) {
    if (isDeviceUnavailable(err)) throw err;
    // ORT says "Load model from <path> failed:<why>" or "<file>.cc:<line> <C++ signature> <why>": keep the why.
    const reason = String((err as Error).message ?? err).split('\n')[0].replace(/^.*?failed:\s*/, '').replace(/^\S+\.cc:\d+ .*\) /, '');
    const empty = statSync(path, { throwIfNoEntry: false })?.size === 0;
    throw new ManifestError(manifest.source, `members[${index}].model`, `${path} is not a valid ONNX model (${empty ? 'empty file' : reason || 'unreadable'})`);
  }
}

/**
 * A bagged ensemble of multi-task members, soft-voted. Each member sees its own crop of the face
 * (size, layout, colour, normalisation from the manifest); their expression outputs are mapped onto the
 * canonical labels and averaged with the manifest's weights.
 */
export class Ensemble {
  private constructor(
    readonly manifest: EnsembleManifest,
    private readonly pool: InferencePool,
    private readonly members: LoadedMember[],
  ) {}

  static async load(manifest: EnsembleManifest, pool: InferencePool, device: Device): Promise<Ensemble> {
    const members: LoadedMember[] = [];
    for (const [i, spec] of manifest.members.entries()) {
      const key = `${manifest.name}/${spec.name}`;
      const info = await loadMember(pool, manifest, i, key, device);
      const inputName = checkMemberAgainstModel(manifest, i, info.inputs, info.outputs);
      members.push({ spec, key, cropKey: JSON.stringify([spec.input, spec.crop]), inputName, provider: info.provider });
    }
    return new Ensemble(manifest, pool, members);
  }

  get providers(): Record<string, Provider> {
    return Object.fromEntries(this.members.map((m) => [m.spec.name, m.provider]));
  }

  /** Labels a batch of faces; one member request per batch, all members in flight at once. */
  async predict(faces: FaceInput[]): Promise<FacePrediction[]> {
    if (faces.length === 0) return [];
    // Members that want the same crop (size, layout, colour, normalisation, framing) share one resample:
    // cropping is the main-thread cost of a face, the networks themselves take about a millisecond each.
    const crops = new Map<string, { batch: Float32Array; regions: Box[] }>();
    const inputs = this.members.map((m) => {
      const shared = crops.get(m.cropKey);
      if (shared) return { batch: shared.batch.slice(), regions: shared.regions }; // a copy: run() transfers its buffer away
      const crop = this.cropFaces(m.spec, faces);
      crops.set(m.cropKey, crop);
      return crop;
    });
    const perMember = await Promise.all(this.members.map((m, i) => this.runMember(m, faces, inputs[i].batch, inputs[i].regions)));
    return faces.map((_, f) => {
      const members = perMember.map((r) => r.probs[f]);
      const probs = softVote(members, this.members.map((m) => m.spec.weight));
      const marks = perMember.flatMap((r) => (r.landmarks ? [r.landmarks[f]] : []));
      let landmarks: Float32Array | undefined;
      if (marks.length) {
        landmarks = new Float32Array(136);
        for (const l of marks) for (let i = 0; i < 136; i++) landmarks[i] += l[i] / marks.length;
      }
      return { probs, members, landmarks };
    });
  }

  private cropFaces(spec: MemberSpec, faces: FaceInput[]): { batch: Float32Array; regions: Box[] } {
    const channels = spec.input.color === 'GRAY' ? 1 : 3;
    const size = channels * spec.input.width * spec.input.height;
    const batch = new Float32Array(size * faces.length);
    const regions = faces.map((face, i) => {
      const region = cropRegion(face.image.width, face.image.height, face.box, spec.crop);
      resampleToTensor(face.image, region, spec.input, batch, i * size, face.angle ?? 0);
      return region;
    });
    return { batch, regions };
  }

  private async runMember(member: LoadedMember, faces: FaceInput[], batch: Float32Array, regions: Box[]) {
    const { spec } = member;
    const channels = spec.input.color === 'GRAY' ? 1 : 3;
    const dims =
      spec.input.layout === 'NCHW'
        ? [faces.length, channels, spec.input.height, spec.input.width]
        : [faces.length, spec.input.height, spec.input.width, channels];
    const out = await this.pool.run(member.key, { [member.inputName]: { data: batch, dims } });
    const expr = out[spec.outputs.expression];
    const classes = spec.labels.length;
    if (expr.data.length !== classes * faces.length) {
      throw new Error(`member ${spec.name}: output ${spec.outputs.expression} has ${expr.data.length / faces.length} values per face, manifest lists ${classes} labels`);
    }
    const probs = faces.map((_, f) => {
      let row = expr.data.subarray(f * classes, (f + 1) * classes);
      if (spec.activation === 'softmax') row = softmax(row);
      const tempered = applyTemperature(row, spec.temperature);
      const canonical = new Float64Array(CANONICAL_LABELS.length).fill(NaN);
      spec.canonical.forEach((label, k) => (canonical[CANONICAL_LABELS.indexOf(label)] = tempered[k]));
      return canonical;
    });
    const lm = spec.outputs.landmarks ? out[spec.outputs.landmarks] : undefined;
    const landmarks = lm
      ? faces.map((_, f) => {
          const r = regions[f];
          const angle = faces[f].angle ?? 0;
          const cos = Math.cos(angle);
          const sin = Math.sin(angle);
          const cx = r.x + r.width / 2;
          const cy = r.y + r.height / 2;
          const pts = lm.data.slice(f * 136, (f + 1) * 136);
          for (let i = 0; i < 136; i += 2) {
            // crop-relative (0..1) -> offset from the crop centre -> turned back into the image
            const lx = (pts[i] - 0.5) * r.width;
            const ly = (pts[i + 1] - 0.5) * r.height;
            pts[i] = cx + cos * lx - sin * ly;
            pts[i + 1] = cy + sin * lx + cos * ly;
          }
          return pts;
        })
      : undefined;
    return { probs, landmarks };
  }
}

function softmax(x: Float32Array): Float32Array {
  const max = Math.max(...x);
  const e = x.map((v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
