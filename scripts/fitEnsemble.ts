/**
 * Sets the default ensemble's member weights and temperatures by measurement on ../shared/data, and
 * reports each member and the ensemble side by side (6-class macro F1 and accuracy, as ABAW4 LSD scores).
 *
 *   npm run fit:ensemble            # report only
 *   npm run fit:ensemble -- --write # also store the fitted weights in config/default-ensemble.json
 *
 * Fitting gives equal say to one half of fer2013_test (split by file-name hash; the other half is held
 * out) and to the labelled colour photos (faces found by the detector), and reports every set.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { FaceDetector } from '../src/detection/faceDetector.js';
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
await pool.close();

const photos = [...examples, ...stills];
const half = (s: Sample) => createHash('md5').update(s.name).digest()[0] % 2;
const fit = fer.filter((s) => half(s) === 0);
const held = fer.filter((s) => half(s) === 1);

function score(samples: Sample[], weights: number[], temps: number[]) {
  const pred = samples.map((s) => lsdLabel(softVote(s.members.map((p, m) => temper(p, temps[m])), weights)));
  const r = classificationReport([...LSD_LABELS], samples.map((s) => s.truth), pred);
  return { f1: r.macroF1, acc: r.accuracy };
}

function temper(p: Float64Array, t: number): Float64Array {
  if (t === 1) return p;
  const idx = [...p.keys()].filter((k) => !Number.isNaN(p[k]));
  const out = new Float64Array(p.length).fill(NaN);
  const tempered = applyTemperature(idx.map((k) => p[k]), t);
  idx.forEach((k, j) => (out[k] = tempered[j]));
  return out;
}

const names = manifest.members.map((m) => m.name);
const one = (m: number) => names.map((_, k) => (k === m ? 1 : 0));
const ones = names.map(() => 1);
let best = { f1: -1, w: ones, t: ones };
for (let w = 0.05; w < 1; w += 0.05) {
  for (const t0 of [0.5, 0.75, 1, 1.5, 2, 3]) {
    for (const t1 of [0.5, 0.75, 1, 1.5, 2, 3]) {
      const weights = [w, 1 - w];
      const temps = [t0, t1];
      // Equal say for the in-distribution gray 48 px set and the colour photos: FER2013 alone would hand
      // the vote to the member trained on FER2013 and lose on in-the-wild photos.
      const f1 = (score(fit, weights, temps).f1 + score(photos, weights, temps).f1) / 2;
      if (f1 > best.f1 + 1e-9) best = { f1, w: weights.map((x) => +x.toFixed(2)), t: temps };
    }
  }
}

const sets: [string, Sample[]][] = [
  [`fer2013_test (6 classes, all ${fer.length})`, fer],
  [`fer2013_test held-out half (${held.length})`, held],
  [`expression_examples (${examples.length})`, examples],
  [`pyfeat stills (${stills.length})`, stills],
  [`colour photos, both sets (${photos.length})`, photos],
];
const rows: [string, number[], number[]][] = [
  ...names.map((n, m) => [`${n} alone`, one(m), ones] as [string, number[], number[]]),
  ['equal-weight vote', ones, ones],
  [`fitted vote (w=${best.w.join('/')}, T=${best.t.join('/')})`, best.w, best.t],
];
console.log(`| model | ${sets.map(([n]) => n).join(' | ')} |`);
console.log(`|---|${sets.map(() => '---').join('|')}|`);
for (const [label, w, t] of rows) {
  console.log(`| ${label} | ${sets.map(([, s]) => { const r = score(s, w, t); return `F1 ${r.f1.toFixed(3)} / acc ${(100 * r.acc).toFixed(1)}%`; }).join(' | ')} |`);
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
