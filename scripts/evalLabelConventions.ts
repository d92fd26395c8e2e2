/**
 * fer2013_test's faces are FER+ Valid and Test's faces; FER+ relabelled them with ten crowd votes each. This scores
 * ensembles on those faces three ways: against FER2013's original labels (what the human member was trained to
 * reproduce), against the FER+ majority of the same faces, and on the faces where both labels agree:
 *   npm run eval:label-conventions -- <manifest>... (default: config/examples/pretrained-vote.json and the default)
 * Faces are paired by their pixels (FER2013 JPEGs against FER+ PNGs; 12x12 block means, nearest, mean squared
 * difference at most 4 grey levels^2). 6-class macro F1 [95% bootstrap interval] / accuracy, as eval:ensembles.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatMacroF1, macroF1Summary } from '../src/eval/bootstrap.js';
import { decodeImageFile } from '../src/image/decodeImage.js';
import type { RgbImage } from '../src/image/rgbImage.js';
import { DEFAULT_MANIFEST } from '../src/models/defaultManifest.js';
import { Ensemble, type FacePrediction } from '../src/models/ensemble.js';
import { CANONICAL_LABELS, canonicalLabel, LSD_LABELS, lsdIndex } from '../src/models/labels.js';
import { loadManifest } from '../src/models/manifest.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { listFaceCrops } from '../src/pipeline/faceCropSource.js';
import { readTrainingSet } from '../src/train/trainingSet.js';
import { PACKAGE_ROOT, SHARED_DATA } from '../src/util/paths.js';

const GRID = 12;
const MAX_MEAN_SQUARED_DIFF = 4;

/** The 48x48 grey face as 12x12 block means: robust to JPEG's rounding, distinct between faces. */
function blocks(img: RgbImage): Float32Array {
  const v = new Float32Array(GRID * GRID);
  const cellW = img.width / GRID;
  const cellH = img.height / GRID;
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++)
      v[Math.floor(y / cellH) * GRID + Math.floor(x / cellW)] += img.data[(y * img.width + x) * 3] / (cellW * cellH);
  return v;
}

function nearest(v: Float32Array, candidates: Float32Array[]): { index: number; meanSquared: number } {
  let best = Infinity;
  let index = -1;
  for (let j = 0; j < candidates.length; j++) {
    let d = 0;
    const c = candidates[j];
    for (let k = 0; k < v.length && d < best; k++) d += (v[k] - c[k]) ** 2;
    if (d < best) [best, index] = [d, j];
  }
  return { index, meanSquared: best / v.length };
}

const manifests = process.argv.slice(2).length
  ? process.argv.slice(2)
  : [join(PACKAGE_ROOT, 'config', 'examples', 'pretrained-vote.json'), DEFAULT_MANIFEST];
const fer = listFaceCrops(join(SHARED_DATA, 'fer2013_test', 'test'));
// Every face with its FER+ majority (neutral included, so that a face the crowd calls neutral is paired, not lost).
const plus = ['FER2013Valid', 'FER2013Test'].flatMap((set) => readTrainingSet(join(SHARED_DATA, 'ferplus', set), 'hard').faces);
const plusBlocks = await Promise.all(plus.map(async (f) => blocks(await decodeImageFile(f.path))));
const images = await Promise.all(fer.map((f) => decodeImageFile(f.path)));
const paired = images.map((img) => {
  const { index, meanSquared } = nearest(blocks(img), plusBlocks);
  return meanSquared <= MAX_MEAN_SQUARED_DIFF ? CANONICAL_LABELS[plus[index].label] : undefined;
});
const original = fer.map((f) => canonicalLabel(f.label ?? ''));
const six = (l: string | undefined): l is string => l !== undefined && (LSD_LABELS as readonly string[]).includes(l);
const sets: [string, [number, string][]][] = [
  ['FER2013 original labels', fer.flatMap((_, i) => (six(original[i]) ? [[i, original[i]!] as [number, string]] : []))],
  ['FER+ majority, same faces', fer.flatMap((_, i) => (six(paired[i]) ? [[i, paired[i]!] as [number, string]] : []))],
  [
    'both labels agree',
    fer.flatMap((_, i) => (six(original[i]) && original[i] === paired[i] ? [[i, original[i]!] as [number, string]] : [])),
  ],
];
console.log(`${fer.length} fer2013_test faces, ${paired.filter(Boolean).length} paired with a FER+ face`);
console.log(`| model | ${sets.map(([name, rows]) => `${name} (${rows.length})`).join(' | ')} |`);
console.log(`|---|${sets.map(() => '---').join('|')}|`);
const pool = new InferencePool({ workers: 2 });
for (const file of manifests) {
  const manifest = loadManifest(file);
  const ensemble = await Ensemble.load(manifest, pool, 'cpu');
  const preds: FacePrediction[] = [];
  for (let i = 0; i < images.length; i += 64) preds.push(...(await ensemble.predict(images.slice(i, i + 64).map((image) => ({ image })))));
  const rows: [string, number[]][] = [
    ...manifest.members.flatMap((m, k): [string, number[]][] =>
      m.weight === 0 ? [] : [[`${manifest.name}: ${m.name} alone`, preds.map((p) => lsdIndex(p.members[k]))]],
    ),
    [`${manifest.name}: vote`, preds.map((p) => lsdIndex(p.probs))],
  ];
  for (const [label, pred] of rows) {
    const cells = sets.map(([, set]) => {
      const truth = set.map(([, l]) => LSD_LABELS.indexOf(l as (typeof LSD_LABELS)[number]));
      const guess = set.map(([i]) => pred[i]);
      return formatMacroF1(macroF1Summary([...LSD_LABELS], truth, guess));
    });
    console.log(`| ${label} | ${cells.join(' | ')} |`);
  }
}
await pool.close();
