import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../util/atomicFile.js';
import { dirname, join } from 'node:path';
import { canonicalLabel, CANONICAL_LABELS } from '../labels.js';
// builtinModels imports this module too: only functions of it are used here, never at load time.
import { addTrunk, FACE_API_EXPRESSION_LABELS, HUMAN_EMOTION_LABELS } from './trunkGraph.js';
import { OnnxGraphBuilder } from './onnxGraphBuilder.js';

/** The trunk's feature outputs (256 values each; builtinModels.ts TRUNK_FEATURE_SIZES). */
export const FEATURE_SETS = ['faceApiExpression', 'faceApiLandmarks', 'human'] as const;
export type FeatureSet = (typeof FEATURE_SETS)[number];

/** A trained head: input standardisation, the shared layer, the expression head and the landmark head. */
export interface HeadWeights {
  hidden: number;
  mean: Float32Array;
  std: Float32Array;
  w1: Float32Array;
  b1: Float32Array;
  we: Float32Array;
  be: Float32Array;
  wl: Float32Array;
  bl: Float32Array;
}

export interface ExportedMember {
  /** Feature sets the head reads, concatenated in this order: trunk sets (FEATURE_SETS) or feature members' names. */
  features: string[];
  weights: HeadWeights;
}

const TENSORS = ['mean', 'std', 'w1', 'b1', 'we', 'be', 'wl', 'bl'] as const;

/**
 * How the ensemble's output is made: weights of the heads' vote, face-api's expression output and human's,
 * summing to 1. Training chooses one alpha (the pretrained vote's share, split evenly); `npm run fit:fusion`
 * chooses all three on several domains at once (issue #21) and writes them as `fusion` into the heads file.
 */
export type Fusion = [heads: number, faceApi: number, human: number];

/**
 * Log biases over CANONICAL_LABELS (neutral's is 0) that rescale the fused expressions among themselves
 * (`fit:fusion`'s expression calibration, src/eval/domainFusion.ts): neutral's probability and the expressions'
 * total stay as the fusion gives them, only which expression leads changes. Heads files keep them by name.
 */
export type ExpressionBias = number[];

const NO_BIAS: ExpressionBias = CANONICAL_LABELS.map(() => 0);
const NEUTRAL = CANONICAL_LABELS.indexOf('neutral');

/** A blend with the pretrained vote at `alpha`, as a fusion. */
export const fusionFromAlpha = (alpha: number): Fusion => [1 - alpha, alpha / 2, alpha / 2];

/** The heads as files: `<name>.json` (features, sizes, alpha) and `<name>.bin` (the float32 tensors, in order). */
export function encodeHeads(members: ExportedMember[], alpha: number): { json: string; bin: Uint8Array } {
  const meta = { alpha, members: members.map((m) => ({ features: m.features, hidden: m.weights.hidden, sizes: TENSORS.map((t) => m.weights[t].length) })) };
  const parts = members.flatMap((m) => TENSORS.map((t) => new Uint8Array(m.weights[t].buffer, m.weights[t].byteOffset, m.weights[t].byteLength)));
  const bin = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let offset = 0;
  for (const p of parts) bin.set(p, (offset += p.length) - p.length);
  return { json: JSON.stringify(meta, null, 2) + '\n', bin };
}

/**
 * Sets the fusion weights and the expression calibration of a heads file (`fit:fusion --write`); the heads
 * themselves are left as they are.
 */
export function writeHeadsFusion(jsonPath: string, fusion: number[], bias: ExpressionBias = NO_BIAS): void {
  if (fusion.length !== 3 || fusion.some((w) => !(w >= 0)) || Math.abs(fusion.reduce((a, b) => a + b, 0) - 1) > 1e-9)
    throw new RangeError(`fusion weights must be three non-negative numbers summing to 1, got ${fusion.join(', ')}`);
  if (bias.length !== CANONICAL_LABELS.length || bias[NEUTRAL] !== 0 || bias.some((b) => !Number.isFinite(b)))
    throw new RangeError(`an expression bias is ${CANONICAL_LABELS.length} finite numbers with neutral's 0, got ${bias.join(', ')}`);
  const meta = JSON.parse(readFileSync(jsonPath, 'utf8')) as Record<string, unknown>;
  writeFileAtomic(jsonPath, JSON.stringify({ ...meta, fusion, expressionBias: expressionBiasByName(bias) }, null, 2) + '\n');
}

/** An expression bias as the heads file keeps it: by expression name, neutral left out. */
export function expressionBiasByName(bias: ExpressionBias): Record<string, number> {
  return Object.fromEntries(CANONICAL_LABELS.flatMap((c, k) => (k === NEUTRAL ? [] : [[c, bias[k]]])));
}

export function readHeads(jsonPath: string): { members: ExportedMember[]; alpha: number; fusion: Fusion; bias: ExpressionBias } {
  const meta = JSON.parse(readFileSync(jsonPath, 'utf8')) as {
    alpha: number;
    fusion?: Fusion;
    expressionBias?: Record<string, number>;
    members: { features: string[]; hidden: number; sizes: number[] }[];
  };
  const bytes = readFileSync(join(dirname(jsonPath), `${jsonPath.replace(/^.*\//, '').replace(/\.json$/, '')}.bin`));
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let offset = 0;
  const members = meta.members.map((m) => {
    const w = Object.fromEntries(TENSORS.map((t, k) => [t, all.slice(offset, (offset += m.sizes[k]))]));
    return { features: m.features, weights: { hidden: m.hidden, ...w } as HeadWeights };
  });
  if (offset !== all.length) throw new RangeError(`${jsonPath}: the .bin holds ${all.length} values, the heads ${offset}`);
  const bias = CANONICAL_LABELS.map((c, k) => (k === NEUTRAL ? 0 : (meta.expressionBias?.[c] ?? 0)));
  if (bias.some((b) => !Number.isFinite(b))) throw new RangeError(`${jsonPath}: expressionBias must hold finite numbers`);
  return { members, alpha: meta.alpha, fusion: meta.fusion ?? fusionFromAlpha(meta.alpha), bias };
}

/** Column indexes that reorder a member's own label order into CANONICAL_LABELS. */
function toCanonical(labels: string[]): number[] {
  return CANONICAL_LABELS.map((c) => labels.findIndex((l) => canonicalLabel(l) === c));
}

/**
 * The bagged ensemble as one ONNX graph: the frozen trunk runs once per face and feeds every member's head;
 * the heads' probabilities are averaged (soft vote) and blended with the pretrained members' own vote:
 * expression = w_heads * mean(heads) + w_face-api * face-api + w_human * human (Fusion; an alpha is the pretrained
 * vote's share, split evenly), over CANONICAL_LABELS. Landmarks are
 * the landmark branch's. Input `crop` [N,3,112,112] RGB 0..255, as the default members take.
 */
export function buildEnsembleGraph(members: ExportedMember[], blend: number | Fusion, description: string, bias: ExpressionBias = NO_BIAS): Uint8Array {
  const foreign = members.flatMap((m) => m.features).find((f) => !(FEATURE_SETS as readonly string[]).includes(f));
  if (foreign) throw new RangeError(`feature set "${foreign}" is not the trunk's: heads on other members' features export as a stacked member (buildStackedHeadsGraph)`);
  const g = new OnnxGraphBuilder();
  const crop = g.input('crop', ['batch', 3, 112, 112]);
  const trunk = addTrunk(g, crop);
  const { expression, bagged } = addHeadsAndVote(g, members, blend, bias, (f) => trunk.features[f as FeatureSet], trunk.faceApiProbs, trunk.humanProbs);
  g.output(expression, 'expression', ['batch', CANONICAL_LABELS.length]);
  g.output(bagged, 'bagged', ['batch', CANONICAL_LABELS.length]);
  g.output(trunk.landmarks, 'landmarks', ['batch', 136]);
  return g.encode('fer-stream-bagged-ensemble', description);
}

/**
 * The heads, their vote and the blend alone, for a stacked manifest member: inputs are the feature sets by name
 * ([N, width] each: the trunk's and other members' features) and the trunk's `faceApiProbs` and `humanProbs`
 * (the pretrained vote the blend takes); outputs `expression` and `bagged`, as the one-graph export.
 */
export function buildStackedHeadsGraph(
  members: ExportedMember[],
  blend: number | Fusion,
  widths: Record<string, number>,
  description: string,
  bias: ExpressionBias = NO_BIAS,
): Uint8Array {
  const g = new OnnxGraphBuilder();
  const used = [...new Set(members.flatMap((m) => m.features))];
  const inputs = Object.fromEntries(used.map((f) => [f, g.input(f, ['batch', widths[f]])]));
  const faceApiProbs = g.input('faceApiProbs', ['batch', 7]);
  const humanProbs = g.input('humanProbs', ['batch', 7]);
  const { expression, bagged } = addHeadsAndVote(g, members, blend, bias, (f) => inputs[f], faceApiProbs, humanProbs);
  g.output(expression, 'expression', ['batch', CANONICAL_LABELS.length]);
  g.output(bagged, 'bagged', ['batch', CANONICAL_LABELS.length]);
  return g.encode('fer-stream-bagged-heads', description);
}

function addHeadsAndVote(
  g: OnnxGraphBuilder,
  members: ExportedMember[],
  blend: number | Fusion,
  bias: ExpressionBias,
  feature: (name: string) => string,
  faceApiProbs: string,
  humanProbs: string,
) {
  const [wHeads, wFaceApi, wHuman] = typeof blend === 'number' ? fusionFromAlpha(blend) : blend;
  const heads = members.map((m, k) =>
    g.scope(`head${k}`, () => {
      const w = m.weights;
      const d = w.mean.length;
      const x = m.features.length === 1 ? feature(m.features[0]) : g.node('Concat', m.features.map(feature), { attrs: { axis: 1 } });
      const standard = g.node('Div', [g.node('Sub', [x, g.constant('mean', w.mean, [d])]), g.constant('std', w.std, [d])]);
      const hidden = g.node('Relu', [g.node('Gemm', [standard, g.constant('w1', w.w1, [d, w.hidden]), g.constant('b1', w.b1, [w.hidden])])]);
      const logits = g.node('Gemm', [hidden, g.constant('we', w.we, [w.hidden, CANONICAL_LABELS.length]), g.constant('be', w.be, [CANONICAL_LABELS.length])]);
      return g.node('Softmax', [logits], { attrs: { axis: -1 } });
    }),
  );
  const sum = addAll(g, heads);
  const bagged = g.node('Mul', [sum, g.constant('one_over_k', [1 / heads.length], [1])]);
  const faceApi = g.node('Gather', [faceApiProbs, g.int64Constant('face_api_order', toCanonical(FACE_API_EXPRESSION_LABELS))], { attrs: { axis: 1 } });
  const human = g.node('Gather', [humanProbs, g.int64Constant('human_order', toCanonical(HUMAN_EMOTION_LABELS))], { attrs: { axis: 1 } });
  const fused = addAll(g, [
    g.node('Mul', [bagged, g.constant('heads_weight', [wHeads], [1])]),
    g.node('Mul', [faceApi, g.constant('face_api_weight', [wFaceApi], [1])]),
    g.node('Mul', [human, g.constant('human_weight', [wHuman], [1])]),
  ]);
  const expression = bias.every((b) => b === 0) ? fused : g.scope('calibration', () => addExpressionBias(g, fused, bias));
  return { expression, bagged };
}

/**
 * p'(neutral) = p(neutral); p'(e) = p(e) * exp(bias e) * sum(p(expressions)) / sum(p(expressions) * exp(bias)):
 * the expressions rescaled among themselves (ExpressionBias), as rescaleExpressions computes it. The sums are MatMuls
 * with a [7, 1] mask (every provider has MatMul; the WebGPU placement report is the reason for each op here).
 */
function addExpressionBias(g: OnnxGraphBuilder, probs: string, bias: ExpressionBias): string {
  const n = CANONICAL_LABELS.length;
  const scaled = g.node('Mul', [probs, g.constant('scale', bias.map((b, c) => (c === NEUTRAL ? 0 : Math.exp(b))), [n])]);
  const expressions = g.constant('expressions', CANONICAL_LABELS.map((_, c) => (c === NEUTRAL ? 0 : 1)), [n, 1]);
  const before = g.node('MatMul', [probs, expressions]);
  const after = g.node('Add', [g.node('MatMul', [scaled, expressions]), g.constant('epsilon', [1e-12], [1])]);
  const neutral = g.node('Mul', [probs, g.constant('neutral', CANONICAL_LABELS.map((_, c) => (c === NEUTRAL ? 1 : 0)), [n])]);
  return g.node('Add', [neutral, g.node('Mul', [scaled, g.node('Div', [before, after])])]);
}

/** The expression calibration of one row of CANONICAL_LABELS probabilities, as the graph computes it. */
export function rescaleExpressions(probs: ArrayLike<number>, bias: ExpressionBias): Float64Array {
  const out = Float64Array.from(probs);
  let before = 0;
  let after = 0;
  for (let c = 0; c < out.length; c++) {
    if (c === NEUTRAL) continue;
    before += out[c];
    out[c] *= Math.exp(bias[c]);
    after += out[c];
  }
  for (let c = 0; c < out.length; c++) if (c !== NEUTRAL) out[c] *= before / (after + 1e-12);
  return out;
}

/**
 * The sum of tensors as a chain of Adds, not one Sum: ONNX Runtime's WebGPU provider has no Sum kernel, and a
 * node it lacks runs on the CPU, a copy off the GPU and back for every batch (its placement report listed them).
 */
function addAll(g: OnnxGraphBuilder, terms: string[]): string {
  return terms.slice(1).reduce((acc, t) => g.node('Add', [acc, t]), terms[0]);
}

/** The heads' soft vote, as the graph computes it: the mean of the members' probabilities, row by row. */
export function meanOfHeads(members: Float32Array[]): Float32Array {
  return members.reduce((acc, p) => acc.map((x, i) => x + p[i] / members.length), new Float32Array(members[0].length));
}

/** The exported blend, as the graph computes it: (1 - alpha) * heads' vote + alpha * pretrained vote. */
export const blendVotes = (heads: Float32Array, pretrained: Float32Array, alpha: number): Float32Array => heads.map((v, i) => (1 - alpha) * v + alpha * pretrained[i]);

/**
 * The ensemble's expression output as the graph computes it, from the heads' vote and the trunk's raw face-api and
 * human outputs (`count` rows): the fusion, then the expression calibration.
 */
export function fusedExpressions(
  bagged: Float32Array,
  faceApiProbs: Float32Array,
  humanProbs: Float32Array,
  count: number,
  fusion: Fusion,
  bias: ExpressionBias = NO_BIAS,
): Float32Array {
  const a = toCanonical(FACE_API_EXPRESSION_LABELS);
  const b = toCanonical(HUMAN_EMOTION_LABELS);
  const [wHeads, wFaceApi, wHuman] = fusion;
  const calibrated = bias.some((v) => v !== 0);
  const out = new Float32Array(count * 7);
  for (let i = 0; i < count; i++) {
    const row = Array.from({ length: 7 }, (_, c) => wHeads * bagged[i * 7 + c] + wFaceApi * faceApiProbs[i * 7 + a[c]] + wHuman * humanProbs[i * 7 + b[c]]);
    out.set(calibrated ? rescaleExpressions(row, bias) : row, i * 7);
  }
  return out;
}

/** Canonical-order probabilities of the pretrained vote from the trunk's raw member outputs (same as the graph). */
export function pretrainedVote(faceApiProbs: Float32Array, humanProbs: Float32Array, count: number): Float32Array {
  return fusedExpressions(new Float32Array(count * 7), faceApiProbs, humanProbs, count, [0, 0.5, 0.5]);
}
