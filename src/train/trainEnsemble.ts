import { InputError } from '../util/inputError.js';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { CANONICAL_LABELS } from '../models/labels.js';
import type { InferencePool } from '../models/ort/inferencePool.js';
import { writeFileAtomic } from '../util/atomicFile.js';
import { seededRandom } from '../util/seededRandom.js';
import {
  blendVotes,
  buildEnsembleGraph,
  buildStackedHeadsGraph,
  encodeHeads,
  FEATURE_SETS,
  pretrainedVote,
  meanOfHeads,
  type HeadWeights,
} from '../models/import/baggedEnsembleGraph.js';
import { FACE_API_EXPRESSION_LABELS } from '../models/import/trunkGraph.js';
import type { FeatureMember } from './memberFeatures.js';
import type { FeatureSet, FeatureView } from './featureCache.js';
import { lsdMacroF1, lsdReport, trainHead, type EpochLog } from './headTrainer.js';
import { labelsOf, loadView, openFeatureSources, probsOn, rowsOf, type SetData, type ViewData } from './setFeatures.js';
import { trainingReportHtml } from './trainingReport.js';
import { readTrainingSet, type LabelledFace } from './trainingSet.js';
import type { MemberReport, TrainingReport, TrainOptions } from './trainingContract.js';

/**
 * Member configurations: which frozen feature sets feed a member's head. As the paper's members differ in their
 * appearance backbone, the bag cycles through them (`configs: 'cycle'`), or all use the first ('same').
 */
export const MEMBER_CONFIGS: FeatureSet[][] = [
  ['faceApiExpression', 'faceApiLandmarks', 'human'],
  ['faceApiExpression', 'faceApiLandmarks'],
  ['faceApiExpression', 'human'],
];

function scores(probs: Float32Array, labels: Int32Array): { f1: number; acc: number; confusion: number[][] } {
  const r = lsdReport(probs, labels);
  return { f1: r.macroF1, acc: r.accuracy, confusion: r.confusion };
}

/** Faces one member must be trained on at least: fewer cannot cover six classes and a validation signal. */
export const MIN_MEMBER_FACES = 30;

/**
 * `fer-stream train`: features from the frozen branches (cached), K heads each on its own bootstrap sample
 * (`fraction` of the training faces drawn with replacement, each in every view: plain, mirrored and, with
 * `augment: 'jitter'`, degraded), early
 * stopping on a validation set, soft vote, blend with the pretrained members chosen on a validation set, and one
 * ONNX graph + manifest in `out` that the scoring commands load as they are; report.json and report.html.
 */
export async function trainEnsemble(pool: InferencePool, o: TrainOptions): Promise<TrainingReport> {
  const started = performance.now();
  // Checked before any work: a bad features manifest fails in one line, naming the field.
  const sources = await openFeatureSources(pool, o.features, o.device);
  const extra = sources.extra;
  const train = readTrainingSet(o.data, o.targets);
  const vals = o.val.map((v) => readTrainingSet(v, 'hard'));
  const drawn = o.sampling === 'all' ? train.faces.length : Math.round(o.fraction * train.faces.length);
  if (drawn < MIN_MEMBER_FACES) {
    throw new InputError(
      `--fraction ${o.fraction} of ${train.faces.length} training faces draws ${drawn} per member; a head needs at least ${MIN_MEMBER_FACES} (the paper's 0.2 of FER+ is 5,600)`,
    );
  }
  o.log(
    `training set ${train.name}: ${train.faces.length} faces${
      Object.keys(train.skipped).length
        ? `, left out: ${Object.entries(train.skipped)
            .map(([k, n]) => `${n} ${k}`)
            .join(', ')}`
        : ''
    }`,
  );
  const load = (faces: LabelledFace[], name: string, view: FeatureView): Promise<ViewData> =>
    loadView(
      pool,
      sources,
      faces,
      view,
      (what) => (n) => o.progress(`features ${name}${view === 'plain' ? '' : ` (${view})`}${what}: ${n}/${faces.length}`),
    );
  const trainViews: ViewData[] = [];
  for (const view of ['plain', 'mirrored', ...(o.augment === 'jitter' ? ['jittered'] : [])] as FeatureView[])
    trainViews.push(await load(train.faces, train.name, view));
  const trainSet: SetData = { name: train.name, faces: train.faces, plain: trainViews[0], views: trainViews };
  const valSets: SetData[] = [];
  for (const v of vals) {
    const plain = await load(v.faces, v.name, 'plain');
    valSets.push({ name: uniqueName(v.name, valSets), faces: v.faces, plain, views: [plain] });
  }
  const featureSeconds = (performance.now() - started) / 1000;
  const unreadable = new Set(trainViews.flatMap((v) => v.unreadable));
  if (unreadable.size)
    o.log(`left out ${unreadable.size} training image(s) that could not be read (first: ${train.faces[[...unreadable][0]].path})`);
  const usable = train.faces.map((_, i) => i).filter((i) => !unreadable.has(i));

  // Class weights: inverse square root of frequency, so disgust (under 1% of FER+) counts without dominating.
  const counts = new Array(7).fill(0);
  for (const i of usable) counts[train.faces[i].label]++;
  const classWeights = Float64Array.from(counts, (n) => (n ? Math.min(10, Math.sqrt(usable.length / (7 * n))) : 0));
  const earlyStopSet = valSets[o.earlyStop];
  const members: MemberReport[] = [];
  const weights: HeadWeights[] = [];
  const trainStarted = performance.now();
  for (let k = 0; k < o.members; k++) {
    // Feature members' sets join every configuration: the user's network is one more frozen branch.
    const features = [
      ...(o.configs === 'cycle' ? MEMBER_CONFIGS[k % MEMBER_CONFIGS.length] : MEMBER_CONFIGS[0]),
      ...extra.map((m) => m.name),
    ];
    const random = seededRandom(o.seed * 1000 + k);
    // Bagging: round(f x N) faces drawn with replacement (f = 1: the classic bootstrap, about 63% distinct).
    const sampled = Math.max(1, Math.round(o.fraction * usable.length));
    const sample = o.sampling === 'all' ? usable : Array.from({ length: sampled }, () => usable[Math.floor(random() * usable.length)]);
    const memberStarted = performance.now();
    const rows = rowsOf(trainSet, features, sample);
    const valRows = rowsOf(
      earlyStopSet,
      features,
      earlyStopSet.faces.map((_, i) => i),
    );
    const result = await trainHead(rows, valRows, {
      hidden: o.hidden,
      lambda: o.lambda,
      epochs: o.epochs,
      batchSize: 128,
      learningRate: 1e-3,
      dropout: 0.3,
      patience: 5,
      seed: o.seed * 1000 + k,
      classWeights,
      onEpoch: (e) => {
        const elapsed = (performance.now() - trainStarted) / 1000;
        const done = k + e.epoch / o.epochs;
        o.progress(
          `member ${k + 1}/${o.members} epoch ${e.epoch}/${o.epochs} loss ${e.loss.toFixed(4)} val F1 ${e.valF1.toFixed(3)} ETA ${Math.round((elapsed / done) * (o.members - done))} s`,
        );
      },
    });
    weights.push(result.weights);
    const f1: Record<string, number> = {};
    for (const v of valSets) f1[v.name] = lsdMacroF1(await probsOn(result.weights, v, features), labelsOf(v));
    members.push({
      index: k,
      features,
      sampled: sample.length,
      distinct: new Set(sample).size,
      bestEpoch: result.bestEpoch,
      seconds: (performance.now() - memberStarted) / 1000,
      history: result.history,
      f1,
    });
    o.log(
      `member ${k + 1}/${o.members} (${features.join('+')}, ${sample.length} faces x ${trainViews.length} views): best epoch ${result.bestEpoch}, ${Object.entries(
        f1,
      )
        .map(([n, v]) => `${n} F1 ${v.toFixed(3)}`)
        .join(', ')}`,
    );
  }
  const trainingSeconds = (performance.now() - trainStarted) / 1000;

  const bagged = new Map<string, Float32Array>();
  const pretrained = new Map<string, Float32Array>();
  for (const v of valSets) {
    const all = await Promise.all(members.map((m, k) => probsOn(weights[k], v, m.features)));
    bagged.set(v.name, meanOfHeads(all));
    pretrained.set(v.name, pretrainedVote(v.plain.faceApiProbs, v.plain.humanProbs, v.plain.count));
  }
  const blendSet = valSets[o.blendOn];
  const chooseAlpha = (rows: number[]) => {
    const sub = (p: Float32Array) => Float32Array.from(rows.flatMap((i) => Array.from(p.subarray(i * 7, i * 7 + 7))));
    const [b, p, labels] = [
      sub(bagged.get(blendSet.name)!),
      sub(pretrained.get(blendSet.name)!),
      Int32Array.from(rows, (i) => blendSet.faces[i].label),
    ];
    const f = (x: number) => scores(blendVotes(b, p, x), labels).f1;
    return { alpha: o.alphas.reduce((best, a) => (f(a) > f(best) + 1e-9 ? a : best), o.alphas[0]), f };
  };
  const everyRow = blendSet.faces.map((_, i) => i);
  const { alpha } = chooseAlpha(everyRow);
  // The same choice made on one half of the people and scored on the other: what the blend is worth on faces
  // it was not chosen on (file names <Person>_NNNN, as in wild_expressions_dev; otherwise each file is its own).
  const folds = [0, 1].map((k) => everyRow.filter((i) => personFold(blendSet.faces[i].path) === k));
  const blendOutOfFold = folds.every((f) => f.length)
    ? (chooseAlpha(folds[1]).f(chooseAlpha(folds[0]).alpha) + chooseAlpha(folds[0]).f(chooseAlpha(folds[1]).alpha)) / 2
    : undefined;
  const results: TrainingReport['results'] = {};
  for (const v of valSets) {
    const labels = labelsOf(v);
    const ens = scores(blendVotes(bagged.get(v.name)!, pretrained.get(v.name)!, alpha), labels);
    results[v.name] = {
      bagged: pick(scores(bagged.get(v.name)!, labels)),
      pretrained: pick(scores(pretrained.get(v.name)!, labels)),
      ensemble: pick(ens),
      confusion: ens.confusion,
    };
  }
  o.log(
    `blend with the pretrained vote chosen on ${blendSet.name}: alpha ${alpha}${blendOutOfFold === undefined ? '' : `; chosen on half of its people, macro F1 on the other half ${blendOutOfFold.toFixed(3)} (averaged over both halves)`}`,
  );

  mkdirSync(o.out, { recursive: true });
  const description = `bagged ensemble: ${o.members} heads on ${basename(resolve(o.data))} (${o.sampling === 'all' ? 'every face for each member' : `bootstrap of ${o.fraction}`}, seed ${o.seed}), blended with the pretrained vote at alpha ${alpha}`;
  const exported = members.map((m, k) => ({ features: m.features, weights: weights[k] }));
  exported.forEach((m, k) => refuseNonFiniteWeights(m.weights, `member ${k + 1}`));
  if (o.features) {
    const widths = Object.fromEntries(
      Object.entries(trainSet.plain.sets).map(([name, rows]) => [name, rows.length / trainSet.plain.count]),
    );
    writeFileAtomic(join(o.out, 'heads.onnx'), buildStackedHeadsGraph(exported, alpha, widths, description));
    const models: Record<string, string> = {};
    for (const m of extra) {
      if (m.spec.modelRef.startsWith('builtin:')) continue;
      // The feature members' models travel with the ensemble, so that its folder is complete on its own.
      models[m.name] = `${m.name}-${basename(m.spec.modelRef)}`;
      copyFileSync(m.spec.modelRef, join(o.out, models[m.name]));
    }
    writeFileAtomic(join(o.out, 'manifest.json'), JSON.stringify(stackedManifest(description, extra, models), null, 2) + '\n');
  } else {
    writeFileAtomic(join(o.out, 'ensemble.onnx'), buildEnsembleGraph(exported, alpha, description));
    writeFileAtomic(join(o.out, 'manifest.json'), JSON.stringify(ensembleManifest(description), null, 2) + '\n');
  }
  // The heads alone too (small): what `npm run train:default` commits, the graph being rebuilt at install.
  const heads = encodeHeads(exported, alpha);
  writeFileAtomic(join(o.out, 'heads.json'), heads.json);
  writeFileAtomic(join(o.out, 'heads.bin'), heads.bin);
  const options = { ...o, log: undefined, progress: undefined };
  const report: TrainingReport = {
    options,
    trainFaces: usable.length,
    skipped: { ...train.skipped, ...(unreadable.size ? { unreadable: unreadable.size } : {}) },
    classWeights: Object.fromEntries(CANONICAL_LABELS.map((c, i) => [c, classWeights[i]])),
    members,
    alpha,
    blendOutOfFold,
    results,
    seconds: { features: featureSeconds, training: trainingSeconds, total: (performance.now() - started) / 1000 },
    providers: [...new Set([...pool.placements.values()].map((p) => p.provider))],
  };
  writeFileAtomic(join(o.out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileAtomic(join(o.out, 'report.html'), trainingReportHtml(report));
  return report;
}

const personFold = (path: string) =>
  createHash('md5')
    .update(basename(path).replace(/_\d+\.\w+$/, ''))
    .digest()[0] % 2;
const pick = ({ f1, acc }: { f1: number; acc: number }) => ({ f1, acc });

function uniqueName(name: string, taken: SetData[]): string {
  let n = name;
  for (let i = 2; taken.some((t) => t.name === n); i++) n = `${name}-${i}`;
  return n;
}

/** The trunk's input, as both exported manifests declare it: a 112x112 RGB crop, 0..255. */
const CROP_112 = { name: 'crop', width: 112, height: 112, layout: 'NCHW', color: 'RGB', scale: 1, mean: [0], std: [1] } as const;

/** The manifest of the exported graph: one member, whose output is already the ensemble's vote. */
export function ensembleManifest(description: string) {
  return {
    name: 'bagged',
    description,
    members: [
      {
        name: 'bagged',
        model: 'ensemble.onnx',
        input: CROP_112,
        crop: { fit: 'pad', margin: 0 },
        outputs: { expression: 'expression', landmarks: 'landmarks' },
        labels: [...CANONICAL_LABELS],
        weight: 1,
        temperature: 1,
      },
    ],
  };
}

/**
 * The manifest of an ensemble whose heads also take feature members' outputs: the trunk (landmarks, its feature
 * sets and the pretrained members' probabilities; weight 0), the feature members as the training saw them
 * (weight 0) and the heads as a stacked member fed by both (weight 1). Each branch still runs once per face.
 */
export function stackedManifest(description: string, extra: FeatureMember[], models: Record<string, string>) {
  const from: Record<string, string> = Object.fromEntries([...FEATURE_SETS, 'faceApiProbs', 'humanProbs'].map((f) => [f, `trunk.${f}`]));
  for (const m of extra) from[m.name] = m.ref;
  return {
    name: 'bagged',
    description,
    members: [
      {
        name: 'trunk',
        model: 'builtin:trunk-features',
        input: CROP_112,
        crop: { fit: 'pad', margin: 0 },
        outputs: { expression: 'faceApiProbs', landmarks: 'landmarks' },
        labels: [...FACE_API_EXPRESSION_LABELS],
        weight: 0,
      },
      ...extra.map(({ spec }) => ({
        name: spec.name,
        model: models[spec.name] ?? spec.model,
        input: spec.input,
        crop: spec.crop,
        ...(spec.align ? { align: spec.align } : {}),
        outputs: spec.outputs,
        activation: spec.activation,
        labels: spec.labels,
        weight: 0,
      })),
      {
        name: 'bagged',
        model: 'heads.onnx',
        from,
        outputs: { expression: 'expression' },
        labels: [...CANONICAL_LABELS],
        weight: 1,
        temperature: 1,
      },
    ],
  };
}

/** An exported head must hold numbers: a NaN weight labels every face the first class. */
function refuseNonFiniteWeights(weights: object, who: string): void {
  for (const [name, values] of Object.entries(weights)) {
    if (!(values instanceof Float32Array || values instanceof Float64Array)) continue;
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`${who}: weight ${name}[${bad}] is ${values[bad]}; nothing exported`);
  }
}
