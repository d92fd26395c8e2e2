/**
 * Sets the default ensemble's member weights and temperatures by measurement on ../shared/data, and
 * reports each member and the ensemble side by side (6-class macro F1 and accuracy, as ABAW4 LSD scores).
 *
 *   npm run fit:ensemble            # report only
 *   npm run fit:ensemble -- --write # also store the fitted weights in config/default-ensemble.json
 *
 * Weights and temperatures are chosen on ../shared/data/wild_expressions_dev only: real in-the-wild faces
 * that no member was trained on (fer2013_test is the human member's own training distribution, so fitting
 * there hands it the vote). A fit must beat equal weights out of fold (two folds split by person) to be used.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { FaceDetector } from '../src/detection/faceDetector.js';
import { bootstrapMacroF1 } from '../src/eval/bootstrap.js';
import { classificationReport } from '../src/eval/metrics.js';
import { DEFAULT_MANIFEST } from '../src/models/defaultManifest.js';
import { Ensemble } from '../src/models/ensemble.js';
import { canonicalLabel, CANONICAL_LABELS, LSD_LABELS } from '../src/models/labels.js';
import { loadManifest } from '../src/models/manifest.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { applyTemperature, softVote } from '../src/models/softVote.js';
import { listFaceCrops, type FaceCropItem } from '../src/pipeline/faceCropSource.js';
import { scoreFaceCrops } from '../src/pipeline/scoreFaceCrops.js';
import { lsdLabel } from '../src/sinks/faceCropSinks.js';
import { SHARED_DATA } from '../src/util/paths.js';

interface Sample { name: string; truth: number; members: Float64Array[] }

const manifest = loadManifest(DEFAULT_MANIFEST);
// Measure raw members: temperature 1, so fitting starts from what each network says.
for (const m of manifest.members) m.temperature = 1;
const pool = new InferencePool();
const ensemble = await Ensemble.load(manifest, pool, 'cpu');

const detector = await FaceDetector.load(pool, 'cpu', { inputSize: 608 });

async function collect(items: FaceCropItem[], detect = false): Promise<Sample[]> {
  const usable = items.filter((it) => it.label && LSD_LABELS.includes(it.label));
  const scored = await scoreFaceCrops(usable, ensemble, { batchSize: 64, detector: detect ? detector : undefined });
  return scored.map((s) => ({ name: s.item.name, truth: LSD_LABELS.indexOf(s.item.label!), members: s.prediction.members }));
}

function stillsByFileName(dir: string, files: string[]): FaceCropItem[] {
  return files.map((f) => ({ name: f, path: join(dir, f), label: canonicalLabel(basename(f).split(/[_.]/)[0]) }));
}

const fer = await collect(listFaceCrops(join(SHARED_DATA, 'fer2013_test', 'test')));
const examples = await collect(stillsByFileName(join(SHARED_DATA, 'expression_examples', 'expressions'), ['angry.jpg', 'disgusted.jpg', 'fearful.jpg', 'happy.jpg', 'sad.jpg', 'surprised.jpg']), true);
const stills = await collect(stillsByFileName(join(SHARED_DATA, 'pyfeat_media'), ['angry_black.jpg', 'happy_black.jpg', 'sad_asian.jpg', 'surprise_white.jpg']), true);

const photos = [...examples, ...stills];
// Real in-the-wild faces that no member was trained on (FER2013 is the human member's training data):
// the only set weights and temperatures may be chosen on.
const wild = await collect(listFaceCrops(join(SHARED_DATA, 'wild_expressions_dev')));
await pool.close();

function score(samples: Sample[], weights: number[], temps: number[]) {
  const pred = samples.map((s) => lsdLabel(softVote(s.members.map((p, m) => temper(p, temps[m])), weights)));
  const r = classificationReport([...LSD_LABELS], samples.map((s) => s.truth), pred);
  return { f1: r.macroF1, acc: r.accuracy, pred };
}

function temper(p: Float64Array, t: number): Float64Array {
  if (t === 1) return p;
  const idx = [...p.keys()].filter((k) => !Number.isNaN(p[k]));
  const out = new Float64Array(p.length).fill(NaN);
  const tempered = applyTemperature(idx.map((k) => p[k]), t);
  idx.forEach((k, j) => (out[k] = tempered[j]));
  return out;
}

function bootstrapF1(samples: Sample[], pred: number[]): [number, number] {
  return bootstrapMacroF1([...LSD_LABELS], samples.map((s) => s.truth), pred);
}

const names = manifest.members.map((m) => m.name);
const one = (m: number) => names.map((_, k) => (k === m ? 1 : 0));
const ones = names.map(() => 1);
const grid: { w: number[]; t: number[] }[] = [];
for (let w = 0.1; w < 0.95; w += 0.1) for (const t0 of [0.5, 1, 2, 3]) for (const t1 of [0.5, 1, 2, 3]) grid.push({ w: [+w.toFixed(2), +(1 - w).toFixed(2)], t: [t0, t1] });
const fitOn = (samples: Sample[]) => grid.reduce((a, c) => (score(samples, c.w, c.t).f1 > score(samples, a.w, a.t).f1 + 1e-9 ? c : a), { w: ones, t: ones });

// Two folds of wild_expressions_dev split by person (file names are <Person>_NNNN): choose on one, measure
// on the other. The fitted weights replace equal ones only if they win out of fold.
const person = (s: Sample) => basename(s.name).replace(/_\d+\.\w+$/, '');
const fold = (s: Sample) => createHash('md5').update(person(s)).digest()[0] % 2;
const folds = [wild.filter((s) => fold(s) === 0), wild.filter((s) => fold(s) === 1)];
const outOfFold = (pick: (train: Sample[]) => { w: number[]; t: number[] }) =>
  (score(folds[1], pick(folds[0]).w, pick(folds[0]).t).f1 + score(folds[0], pick(folds[1]).w, pick(folds[1]).t).f1) / 2;
const cvFitted = outOfFold(fitOn);
const cvEqual = outOfFold(() => ({ w: ones, t: ones }));
const fitted = fitOn(wild);
const best = cvFitted > cvEqual ? fitted : { w: ones, t: ones };
console.log(`wild_expressions_dev, 2 folds by person, out-of-fold macro F1: fitted ${cvFitted.toFixed(3)}, equal ${cvEqual.toFixed(3)} -> ${cvFitted > cvEqual ? `fitted (w=${fitted.w.join('/')}, T=${fitted.t.join('/')})` : 'equal weights, temperature 1'}\n`);

const sets: [string, Sample[]][] = [
  [`wild_expressions_dev (${wild.length}; F1 [95% CI])`, wild],
  [`fer2013_test (${fer.length}; the human member's own data)`, fer],
  [`colour photos (${photos.length})`, photos],
];
const rows: [string, number[], number[]][] = [
  ...names.map((n, m) => [`${n} alone`, one(m), ones] as [string, number[], number[]]),
  ['equal-weight vote, T=1', ones, ones],
  ['previous default (w=0.3/0.7, T=2/1, fitted on FER2013)', [0.3, 0.7], [2, 1]],
  [`fitted on wild_expressions_dev (w=${fitted.w.join('/')}, T=${fitted.t.join('/')})`, fitted.w, fitted.t],
];
console.log(`| model | ${sets.map(([n]) => n).join(' | ')} |`);
console.log(`|---|${sets.map(() => '---').join('|')}|`);
for (const [label, w, t] of rows) {
  const cells = sets.map(([name, s]) => {
    const r = score(s, w, t);
    const ci = name.startsWith('wild') ? ` [${bootstrapF1(s, r.pred).map((x) => x.toFixed(3)).join(', ')}]` : '';
    return `F1 ${r.f1.toFixed(3)}${ci} / acc ${(100 * r.acc).toFixed(1)}%`;
  });
  console.log(`| ${label} | ${cells.join(' | ')} |`);
}
console.log(`\nlabels: ${CANONICAL_LABELS.join(', ')}`);

if (process.argv.includes('--write')) {
  const json = JSON.parse(readFileSync(DEFAULT_MANIFEST, 'utf8'));
  json.members.forEach((m: { weight: number; temperature: number }, i: number) => {
    m.weight = best.w[i];
    m.temperature = best.t[i];
  });
  writeFileSync(DEFAULT_MANIFEST, JSON.stringify(json, null, 2) + '\n');
  console.log(`wrote weights ${best.w.join('/')} and temperatures ${best.t.join('/')} to ${DEFAULT_MANIFEST}`);
}
