import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { fieldPath } from '../util/fieldPath.js';
import { BUNDLED_MANIFESTS } from './defaultManifest.js';
import { canonicalLabel, type CanonicalLabel } from './labels.js';
import type { CropSpec, InputSpec } from '../image/inputSpec.js';

/**
 * The ensemble manifest: which member networks vote, how each wants its face crop, and how its outputs
 * map onto canonical labels. Validated once, at load; every message names the offending field.
 */

const inputSpec = z.strictObject({
  /** Model input name; default: the model's first input. */
  name: z.string().min(1).optional(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  layout: z.enum(['NCHW', 'NHWC']),
  color: z.enum(['RGB', 'BGR', 'GRAY']),
  /** value = (pixel * scale - mean[c]) / std[c], pixel in 0..255; one entry applies to every channel. */
  scale: z.number().positive().default(1),
  mean: z.array(z.number()).min(1).max(3).default([0]),
  std: z.array(z.number().positive()).min(1).max(3).default([1]),
});

const cropSpec = z.strictObject({
  /** `pad`: centre the face box in a square (letterbox); `stretch`: resize the box as it is. */
  fit: z.enum(['pad', 'stretch']).default('pad'),
  /** Grow the detected box by this fraction of its size on each side before cropping (ignored for face crops). */
  margin: z.number().min(0).max(1).default(0),
});

const memberSpec = z.strictObject({
  name: z.string().min(1),
  /** A path relative to the manifest, or `builtin:<id>` for a model fer-stream imports itself. */
  model: z.string().min(1),
  /** How the member wants its face crop. A stacked member (`from`) has none. */
  input: inputSpec.optional(),
  crop: cropSpec.optional(),
  /**
   * A stacked member: its model's inputs are other members' outputs on the same face, not a crop. Each key is
   * one of its model's inputs, each value `<member>.<output>` of an image member (e.g. a trained head fed with
   * the features of the members before it). Stacked members run last. (So a member that feeds one has no `.` in its name.)
   */
  from: z.record(z.string().min(1), z.string().regex(/^[^.]+\..+$/, 'must be <member>.<output>')).optional(),
  outputs: z.strictObject({
    expression: z.string().min(1),
    landmarks: z.string().min(1).optional(),
    /** A per-face feature vector (e.g. the penultimate layer) that `fer-stream train --features` feeds to its heads. */
    features: z.string().min(1).optional(),
  }),
  /** `softmax` when the expression output is logits. */
  activation: z.enum(['none', 'softmax']).default('none'),
  /** The model's own label order; each must name a canonical label (synonyms allowed). */
  labels: z.array(z.string().min(1)).min(2),
  /** 0: the member feeds others (landmarks, features) and does not vote. */
  weight: z.number().min(0).default(1),
  /** Probabilities are sharpened (<1) or flattened (>1) as softmax(log p / T) before voting. */
  temperature: z.number().positive().default(1),
  /**
   * Similarity alignment: the face is warped so that its five points (eye centres, nose tip, mouth corners,
   * from the 68 landmarks the other members give on the same face) land on `template`, in this member's input
   * pixels. `crop` is then not used. Aligned members run after the members that give landmarks.
   */
  align: z.strictObject({ template: z.array(z.tuple([z.number(), z.number()])).length(5) }).optional(),
  /**
   * `average`: test-time flip averaging, the member also sees its crop mirrored (in the same inference call)
   * and its probabilities are the mean of both views. Twice the member's compute; landmarks stay the plain
   * view's. Measured in docs/ensemble.md.
   */
  flip: z.enum(['none', 'average']).optional(),
});

const manifestSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  members: z.array(memberSpec).min(1),
});

export type { CropSpec, InputSpec };
// The schemas validate exactly image/'s contracts: a compile error here if they drift apart.
const _inputSpecIsTheContract: z.ZodType<InputSpec, unknown> = inputSpec;
const _cropSpecIsTheContract: z.ZodType<CropSpec, unknown> = cropSpec;
void _inputSpecIsTheContract;
void _cropSpecIsTheContract;

type ParsedMember = z.infer<typeof memberSpec>;

interface CommonMemberSpec extends Omit<ParsedMember, 'input' | 'crop' | 'from' | 'align' | 'flip'> {
  /** Absolute model path, or `builtin:<id>`. */
  modelRef: string;
  /** For each model output index, its canonical label. */
  canonical: CanonicalLabel[];
}

/** A member that sees the face: its own crop (or aligned warp) of the image. */
export interface ImageMemberSpec extends CommonMemberSpec {
  kind: 'image';
  input: InputSpec;
  crop: CropSpec;
  align?: ParsedMember['align'];
  flip: 'none' | 'average';
}

/** A member whose model inputs are other members' outputs on the same face (`from`). */
export interface StackedMemberSpec extends CommonMemberSpec {
  kind: 'stacked';
  /** Model input name -> the image member and output that feed it. */
  from: Record<string, { member: string; output: string }>;
}

export type MemberSpec = ImageMemberSpec | StackedMemberSpec;

export interface EnsembleManifest {
  name: string;
  description?: string;
  source: string;
  members: MemberSpec[];
}

export class ManifestError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    detail: string,
  ) {
    super(`ensemble manifest ${file}: ${field}: ${detail}`);
    this.name = 'ManifestError';
  }
}


export interface ManifestOptions {
  /**
   * Aligned members get their landmarks from outside the manifest (training: the trunk's, on the same crop), so
   * the manifest need not list a landmark member of its own.
   */
  externalLandmarks?: boolean;
}

/** Validates a parsed manifest object; `file` is where it came from (for messages and relative paths). */
export function parseManifest(raw: unknown, file: string, options: ManifestOptions = {}): EnsembleManifest {
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ManifestError(file, fieldPath(issue.path) || '(root)', issue.message);
  }
  const members = parsed.data.members.map((m, i): MemberSpec => {
    const at = (field: string) => `members[${i}].${field}`;
    const canonical = m.labels.map((label, j) => {
      const c = canonicalLabel(label);
      if (!c) throw new ManifestError(file, at(`labels[${j}]`), `unknown label "${label}"`);
      return c;
    });
    const seen = new Map<string, number>();
    canonical.forEach((c, j) => {
      if (seen.has(c)) {
        throw new ManifestError(file, at(`labels[${j}]`), `duplicate label "${m.labels[j]}" (same as labels[${seen.get(c)}])`);
      }
      seen.set(c, j);
    });
    let modelRef = m.model;
    if (!m.model.startsWith('builtin:')) {
      modelRef = isAbsolute(m.model) ? m.model : resolve(dirname(file), m.model);
      if (!existsSync(modelRef) || !statSync(modelRef).isFile()) {
        throw new ManifestError(file, at('model'), `model file not found: ${modelRef}`);
      }
    }
    const { input, crop, from, align, flip, ...common } = m;
    if (from) {
      if (input) throw new ManifestError(file, at('input'), 'a stacked member (from) takes other members\' outputs, not a crop: remove input');
      for (const [field, value] of [['crop', crop], ['align', align], ['flip', flip], ['outputs.landmarks', m.outputs.landmarks]] as const) {
        if (value !== undefined) throw new ManifestError(file, at(field), 'does not apply to a stacked member (from)');
      }
      const sources = Object.fromEntries(Object.entries(from).map(([k, v]) => [k, { member: v.slice(0, v.indexOf('.')), output: v.slice(v.indexOf('.') + 1) }]));
      return { ...common, kind: 'stacked', from: sources, modelRef, canonical };
    }
    if (!input) throw new ManifestError(file, at('input'), 'required (or from, for a member fed by other members)');
    for (const key of ['mean', 'std'] as const) {
      const n = input[key].length;
      const channels = input.color === 'GRAY' ? 1 : 3;
      if (n !== 1 && n !== channels) throw new ManifestError(file, at(`input.${key}`), `has ${n} values for ${channels} channel(s)`);
    }
    return { ...common, kind: 'image', input, crop: crop ?? { fit: 'pad', margin: 0 }, align, flip: flip ?? 'none', modelRef, canonical };
  });
  const names = new Set<string>();
  members.forEach((m, i) => {
    if (names.has(m.name)) throw new ManifestError(file, `members[${i}].name`, `duplicate member name "${m.name}"`);
    names.add(m.name);
  });
  if (members.every((m) => m.weight === 0)) throw new ManifestError(file, 'members', 'every member has weight 0');
  const aligned = members.findIndex((m) => m.kind === 'image' && m.align);
  if (aligned >= 0 && !options.externalLandmarks && !members.some((m) => m.kind === 'image' && !m.align && m.outputs.landmarks)) {
    throw new ManifestError(file, `members[${aligned}].align`, 'needs landmarks from another member (one without align that has outputs.landmarks)');
  }
  members.forEach((m, i) => {
    if (m.kind !== 'stacked') return;
    for (const [input, source] of Object.entries(m.from)) {
      const provider = members.find((p) => p.name === source.member);
      if (!provider) throw new ManifestError(file, `members[${i}].from.${input}`, `no member named "${source.member}"`);
      if (provider.kind !== 'image') throw new ManifestError(file, `members[${i}].from.${input}`, `"${source.member}" is a stacked member itself; stacked members take image members' outputs`);
    }
  });
  return { name: parsed.data.name, description: parsed.data.description, source: file, members };
}

/** Reads a manifest from a `.json`, `.yaml` or `.yml` file, or a bundled one by name (`accurate`: BUNDLED_MANIFESTS). */
export function loadManifest(file: string, options: ManifestOptions = {}): EnsembleManifest {
  const path = !existsSync(file) && file in BUNDLED_MANIFESTS ? BUNDLED_MANIFESTS[file] : resolve(file);
  if (!existsSync(path)) throw new ManifestError(path, '(file)', 'not found');
  if (statSync(path).isDirectory()) throw new ManifestError(path, '(file)', 'is a folder; give the manifest file (.json, .yaml)');
  const text = readFileSync(path, 'utf8');
  let raw: unknown;
  try {
    raw = ['.yaml', '.yml'].includes(extname(path).toLowerCase()) ? YAML.parse(text) : JSON.parse(text);
  } catch (err) {
    throw new ManifestError(path, '(file)', `cannot parse: ${(err as Error).message}`);
  }
  return parseManifest(raw, path, options);
}

/**
 * Checks a member against the model ONNX Runtime loaded: input name and shape, output names, and that
 * the expression output has one value per label. Dynamic dimensions (named, or -1) match anything.
 */
export function checkMemberAgainstModel(
  manifest: EnsembleManifest,
  index: number,
  inputs: { name: string; shape: (number | string)[] }[],
  outputs: { name: string; shape: (number | string)[] }[],
): string {
  const m = manifest.members[index];
  const at = (field: string) => `members[${index}].${field}`;
  let inputName: string;
  if (m.kind === 'stacked') {
    const missing = inputs.find((t) => !(t.name in m.from));
    if (missing) throw new ManifestError(manifest.source, at('from'), `gives nothing for the model's input "${missing.name}" (inputs: ${inputs.map((t) => t.name).join(', ')})`);
    const unknown = Object.keys(m.from).find((k) => !inputs.some((t) => t.name === k));
    if (unknown) throw new ManifestError(manifest.source, at(`from.${unknown}`), `the model has no input "${unknown}" (inputs: ${inputs.map((t) => t.name).join(', ')})`);
    inputName = inputs[0].name;
  } else {
    inputName = checkImageInput(manifest.source, m, at, inputs);
  }
  for (const key of ['expression', 'landmarks', 'features'] as const) {
    const name = m.outputs[key];
    if (name && !outputs.some((o) => o.name === name)) {
      throw new ManifestError(manifest.source, at(`outputs.${key}`), `model has no output "${name}" (outputs: ${outputs.map((o) => o.name).join(', ')})`);
    }
  }
  const expr = outputs.find((o) => o.name === m.outputs.expression)!;
  const classes = expr.shape[expr.shape.length - 1];
  if (typeof classes === 'number' && classes > 0 && classes !== m.labels.length) {
    throw new ManifestError(manifest.source, at('labels'), `lists ${m.labels.length} labels but output "${expr.name}" has ${classes} classes`);
  }
  return inputName;
}

function checkImageInput(source: string, m: ImageMemberSpec, at: (field: string) => string, inputs: { name: string; shape: (number | string)[] }[]): string {
  const inputName = m.input.name ?? inputs[0]?.name;
  const input = inputs.find((t) => t.name === inputName);
  if (!input) throw new ManifestError(source, at('input.name'), `model has no input "${inputName}" (inputs: ${inputs.map((t) => t.name).join(', ')})`);
  const channels = m.input.color === 'GRAY' ? 1 : 3;
  const expected = m.input.layout === 'NCHW' ? [channels, m.input.height, m.input.width] : [m.input.height, m.input.width, channels];
  const actual = input.shape.slice(1);
  const fixed = (d: number | string) => typeof d === 'number' && d > 0;
  if (input.shape.length && (actual.length !== 3 || actual.some((d, k) => fixed(d) && d !== expected[k]))) {
    throw new ManifestError(source, at('input'), `declares ${m.input.layout} [N,${expected.join(',')}] but the model's input "${input.name}" is [${input.shape.join(',')}]`);
  }
  return input.name;
}
