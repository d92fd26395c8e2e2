import { statSync } from 'node:fs';
import { cropRegion } from '../image/cropRegion.js';
import { resampleToTensor } from '../image/resampleToTensor.js';
import { alignToTemplate, fivePointsFrom68 } from '../image/similarityAlign.js';
import type { Box, RgbImage } from '../image/rgbImage.js';
import { withMirrors } from '../image/mirror.js';
import { ensureBuiltinModel } from './import/modelImporter.js';
import { CANONICAL_LABELS } from './labels.js';
import { checkMemberAgainstModel, ManifestError, type EnsembleManifest, type ImageMemberSpec, type MemberSpec, type StackedMemberSpec } from './manifest.js';
import type { Device, Provider } from './ort/device.js';
import { sharesPixels, type CropFeed } from './ort/cropFeed.js';
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

interface LoadedMember<S extends MemberSpec = MemberSpec> {
  spec: S;
  key: string;
  /** Members with the same crop key want identical input tensors. */
  cropKey: string;
  inputName: string;
  provider: Provider;
  /** The model's fixed batch size (some exported models take one face at a time), if it has one. */
  fixedBatch?: number;
  /** Outputs that stacked members take, kept per face beside the probabilities. */
  feeds: string[];
}

type ImageMember = LoadedMember<ImageMemberSpec>;
const isImage = (m: LoadedMember): m is ImageMember => m.spec.kind === 'image';

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
/** Faces per member call at most (see predict). */
export const MAX_FACES_PER_CALL = 128;

export class Ensemble {
  private constructor(
    readonly manifest: EnsembleManifest,
    private readonly pool: InferencePool,
    private readonly members: LoadedMember[],
  ) {}

  static async load(manifest: EnsembleManifest, pool: InferencePool, device: Device): Promise<Ensemble> {
    const members: LoadedMember[] = [];
    const modelOutputs = new Map<string, string[]>();
    for (const [i, spec] of manifest.members.entries()) {
      const key = `${manifest.name}/${spec.name}`;
      const info = await loadMember(pool, manifest, i, key, device);
      const inputName = checkMemberAgainstModel(manifest, i, info.inputs, info.outputs);
      const batchDim = info.inputs.find((t) => t.name === inputName)?.shape[0];
      const fixedBatch = typeof batchDim === 'number' && batchDim > 0 ? batchDim : undefined;
      if (fixedBatch !== undefined && (fixedBatch !== 1 || spec.kind === 'stacked')) {
        throw new ManifestError(manifest.source, `members[${i}].model`, `input batch size is fixed at ${fixedBatch}; fer-stream can run a model of dynamic batch${spec.kind === 'stacked' ? ' as a stacked member' : ' or batch 1'}`);
      }
      modelOutputs.set(spec.name, info.outputs.map((o) => o.name));
      const cropKey = spec.kind === 'image' ? JSON.stringify([spec.input, spec.crop, spec.align]) : '';
      members.push({ spec, key, cropKey, inputName, provider: info.provider, fixedBatch, feeds: [] });
    }
    // What each stacked member takes must be an output of the member it names.
    for (const [i, m] of members.entries()) {
      if (m.spec.kind !== 'stacked') continue;
      for (const [input, source] of Object.entries(m.spec.from)) {
        const outputs = modelOutputs.get(source.member)!;
        if (!outputs.includes(source.output)) {
          throw new ManifestError(manifest.source, `members[${i}].from.${input}`, `member "${source.member}" has no output "${source.output}" (outputs: ${outputs.join(', ')})`);
        }
        const provider = members.find((p) => p.spec.name === source.member)!;
        if (!provider.feeds.includes(source.output)) provider.feeds.push(source.output);
      }
    }
    return new Ensemble(manifest, pool, members);
  }

  get providers(): Record<string, Provider> {
    return Object.fromEntries(this.members.map((m) => [m.spec.name, m.provider]));
  }

  /**
   * Labels a batch of faces; one member request per batch, all members in flight at once. Members aligned by
   * landmarks run second, on the landmarks the first ones gave for the same faces; stacked members last, on
   * the outputs of those before them.
   */
  async predict(faces: FaceInput[]): Promise<FacePrediction[]> {
    if (faces.length === 0) return [];
    // A call's tensors and ONNX Runtime's activations grow with its faces: a huge batch (--batch 100000 with
    // the detector on every frame) is labelled in slices, so memory has a ceiling whatever the batch.
    if (faces.length > MAX_FACES_PER_CALL) {
      const slices: Promise<FacePrediction[]>[] = [];
      for (let i = 0; i < faces.length; i += MAX_FACES_PER_CALL) slices.push(this.predict(faces.slice(i, i + MAX_FACES_PER_CALL)));
      return (await Promise.all(slices)).flat();
    }
    const { results, landmarks } = await this.runImageMembers(faces);
    const stacked = this.members.filter((m): m is LoadedMember<StackedMemberSpec> => m.spec.kind === 'stacked');
    (await Promise.all(stacked.map((m) => this.runStacked(m, faces.length, results)))).forEach((r, i) => results.set(stacked[i], r));
    return faces.map((_, f) => {
      const members = this.members.map((m) => results.get(m)!.probs[f]);
      const probs = softVote(members, this.members.map((m) => m.spec.weight));
      return { probs, members, landmarks: landmarks[f] };
    });
  }

  /**
   * Named outputs of image members (`<member>.<output>`, each [faces, width]) on a batch of faces, as stacked
   * members would take them: what `fer-stream train --features` extracts for its heads.
   * `landmarks`, where given, align the aligned members instead of this ensemble's own landmark members.
   */
  async outputsOf(faces: FaceInput[], refs: string[], landmarks?: (Float32Array | undefined)[]): Promise<Record<string, Float32Array>> {
    for (const ref of refs) {
      const [name, output] = [ref.slice(0, ref.indexOf('.')), ref.slice(ref.indexOf('.') + 1)];
      const member = this.members.find((m) => m.spec.name === name);
      if (!member || !isImage(member)) throw new Error(`ensemble ${this.manifest.name}: no image member "${name}" (for ${ref})`);
      if (!member.feeds.includes(output)) member.feeds.push(output);
    }
    const { results } = await this.runImageMembers(faces, landmarks);
    return Object.fromEntries(refs.map((ref) => {
      const member = this.members.find((m) => m.spec.name === ref.slice(0, ref.indexOf('.')))!;
      return [ref, results.get(member)!.outputs[ref.slice(ref.indexOf('.') + 1)]];
    }));
  }

  private async runImageMembers(faces: FaceInput[], givenLandmarks?: (Float32Array | undefined)[]) {
    const image = this.members.filter(isImage);
    const first = image.filter((m) => !m.spec.align);
    const second = image.filter((m) => m.spec.align);
    const results = new Map<LoadedMember, MemberResult>();
    (await this.runMembers(first, faces)).forEach((r, i) => results.set(first[i], r));
    const landmarks = givenLandmarks ?? faces.map((_, f) => {
      const marks = first.flatMap((m) => (results.get(m)!.landmarks ? [results.get(m)!.landmarks![f]] : []));
      if (!marks.length) return undefined;
      const mean = new Float32Array(136);
      for (const l of marks) for (let i = 0; i < 136; i++) mean[i] += l[i] / marks.length;
      return mean;
    });
    if (second.length) (await this.runMembers(second, faces, landmarks)).forEach((r, i) => results.set(second[i], r));
    return { results, landmarks };
  }

  /** A stacked member on the outputs of the image members it names, for the same faces. */
  private async runStacked(member: LoadedMember<StackedMemberSpec>, count: number, results: Map<LoadedMember, MemberResult>): Promise<MemberResult> {
    const feeds = Object.fromEntries(
      Object.entries(member.spec.from).map(([input, source]) => {
        const provider = this.members.find((m) => m.spec.name === source.member)!;
        const data = results.get(provider)!.outputs[source.output];
        return [input, { data: data.slice(), dims: [count, data.length / count] }];
      }),
    );
    const out = await this.pool.runWhenRoom(member.key, feeds);
    return { probs: canonicalProbs(member.spec, out[member.spec.outputs.expression].data, count, 1), outputs: {} };
  }

  private async runMembers(members: ImageMember[], faces: FaceInput[], landmarks?: (Float32Array | undefined)[]): Promise<MemberResult[]> {
    // Frames in shared memory (video): each member's worker cuts its own crops (cropFeed.ts), off the main
    // thread. Otherwise members that want the same crop (size, layout, colour, normalisation, framing) share
    // one resample here: cropping is the main thread's cost of a face, the networks take about a millisecond.
    const images = [...new Set(faces.map((f) => f.image))];
    const inWorker = sharesPixels(images);
    const crops = new Map<string, Crops>();
    const inputs = members.map((m): Crops => {
      const shared = crops.get(m.cropKey);
      if (shared) return { ...shared, batch: shared.batch?.slice() }; // a copy: run() transfers its buffer away
      const placed = this.placeCrops(m.spec, faces, landmarks);
      const crop = inWorker && !m.fixedBatch ? placed : { ...placed, batch: this.cutCrops(m.spec, faces, placed) };
      crops.set(m.cropKey, crop);
      return crop;
    });
    return Promise.all(members.map((m, i) => this.runMember(m, faces, inputs[i], images)));
  }

  /**
   * Each face's crop for one member: its crop region (or, for an aligned member, the region and roll that put
   * the face's five points on the template; a face without landmarks falls back to its crop).
   */
  private placeCrops(spec: ImageMemberSpec, faces: FaceInput[], landmarks?: (Float32Array | undefined)[]): Crops {
    const angles: number[] = [];
    const regions = faces.map((face, i) => {
      const marks = spec.align && landmarks?.[i];
      const { region, angle } = marks
        ? alignToTemplate(fivePointsFrom68(marks), spec.align!.template, spec.input.width, spec.input.height)
        : { region: cropRegion(face.image.width, face.image.height, face.box, spec.crop), angle: face.angle ?? 0 };
      angles.push(angle);
      return region;
    });
    return { regions, angles };
  }

  /** The crops' input tensor, cut on this thread. */
  private cutCrops(spec: ImageMemberSpec, faces: FaceInput[], { regions, angles }: Crops): Float32Array {
    const size = (spec.input.color === 'GRAY' ? 1 : 3) * spec.input.width * spec.input.height;
    const batch = new Float32Array(size * faces.length);
    faces.forEach((face, i) => resampleToTensor(face.image, regions[i], spec.input, batch, i * size, angles[i]));
    return batch;
  }

  private async runMember(member: ImageMember, faces: FaceInput[], { batch, regions, angles }: Crops, images: RgbImage[]): Promise<MemberResult> {
    const { spec } = member;
    const channels = spec.input.color === 'GRAY' ? 1 : 3;
    const shape = spec.input.layout === 'NCHW' ? [channels, spec.input.height, spec.input.width] : [spec.input.height, spec.input.width, channels];
    // Flip averaging runs the mirrored crops in the same call, after the plain ones.
    const views = spec.flip === 'average' ? 2 : 1;
    const rows = views * faces.length;
    let out: Record<string, { data: Float32Array; dims: number[] }>;
    if (!batch) {
      const feed: CropFeed = {
        name: member.inputName,
        images,
        faces: faces.map((f, i) => ({ image: images.indexOf(f.image), region: regions[i], angle: angles[i] })),
        spec: spec.input,
        views,
      };
      out = await this.pool.runWhenRoom(member.key, {}, [feed]);
    } else {
      const input = views === 2 ? withMirrors(batch, faces.length, shape, spec.input.layout) : batch;
      out = member.fixedBatch ? await this.runOneByOne(member, input, shape, rows) : await this.pool.runWhenRoom(member.key, { [member.inputName]: { data: input, dims: [rows, ...shape] } });
    }
    const probs = canonicalProbs(spec, out[spec.outputs.expression].data, faces.length, views);
    // The plain view's rows of the outputs stacked members take.
    const outputs = Object.fromEntries(member.feeds.map((name) => [name, out[name].data.slice(0, (out[name].data.length / rows) * faces.length)]));
    const lm = spec.outputs.landmarks ? out[spec.outputs.landmarks] : undefined;
    const landmarks = lm
      ? faces.map((_, f) => {
          const r = regions[f];
          const angle = angles[f];
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
    return { probs, landmarks, outputs };
  }

  /** A model with a fixed batch of 1: one request per face, all in flight, outputs joined in face order. */
  private async runOneByOne(member: ImageMember, batch: Float32Array, shape: number[], count: number): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
    const size = batch.length / count;
    // A batch of faces is more requests than the pool's bounded queue holds: the rest wait in line for room.
    const pending = Array.from({ length: count }, (_, f) =>
      this.pool.runWhenRoom(member.key, { [member.inputName]: { data: batch.slice(f * size, (f + 1) * size), dims: [1, ...shape] } }),
    );
    const outs = await Promise.all(pending);
    return Object.fromEntries(
      Object.keys(outs[0]).map((name) => {
        const per = outs[0][name].data.length;
        const data = new Float32Array(per * count);
        outs.forEach((o, f) => data.set(o[name].data, f * per));
        return [name, { data, dims: [count, ...outs[0][name].dims.slice(1)] }];
      }),
    );
  }
}

/** Where each face's crop is cut from; `batch` once cut on this thread (absent: a worker cuts it). */
interface Crops {
  regions: Box[];
  angles: number[];
  batch?: Float32Array;
}

interface MemberResult {
  probs: CanonicalProbs[];
  landmarks?: Float32Array[];
  /** Outputs that stacked members take: the whole [faces, width] tensor, by output name. */
  outputs: Record<string, Float32Array>;
}

/**
 * A member's expression output as probabilities over CANONICAL_LABELS per face (NaN where it lacks a label),
 * after its activation and temperature; with two views (flip averaging) the mirrored rows follow the plain ones
 * and the two are averaged.
 */
function canonicalProbs(spec: MemberSpec, data: Float32Array, faces: number, views: number): CanonicalProbs[] {
  const classes = spec.labels.length;
  if (data.length !== classes * faces * views) {
    throw new Error(`member ${spec.name}: output ${spec.outputs.expression} has ${data.length / (faces * views)} values per face, manifest lists ${classes} labels`);
  }
  const probsOf = (r: number) => {
    const row = data.subarray(r * classes, (r + 1) * classes);
    return spec.activation === 'softmax' ? softmax(row) : row;
  };
  return Array.from({ length: faces }, (_, f) => {
    let row = probsOf(f);
    if (views === 2) {
      const mirrored = probsOf(f + faces);
      row = row.map((p, k) => (p + mirrored[k]) / 2);
    }
    const tempered = applyTemperature(row, spec.temperature);
    const canonical = new Float64Array(CANONICAL_LABELS.length).fill(NaN);
    spec.canonical.forEach((label, k) => (canonical[CANONICAL_LABELS.indexOf(label)] = tempered[k]));
    return canonical;
  });
}

function softmax(x: Float32Array): Float32Array {
  const max = Math.max(...x);
  const e = x.map((v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
