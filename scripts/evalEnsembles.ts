/**
 * Ensembles side by side on the shared labelled faces: each member alone and the vote, 6-class macro F1 with
 * a 95% bootstrap interval and accuracy, on wild_expressions_dev (real in-the-wild faces no member was
 * trained on), FER+ Test (majority of the crowd votes) and fer2013_test; and crop scoring speed.
 *   npm run eval:ensembles -- <manifest>... [--sets wild,ferplus,fer2013] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatMacroF1, macroF1Summary, type MacroF1Summary } from '../src/eval/bootstrap.js';
import { Ensemble } from '../src/models/ensemble.js';
import { CANONICAL_LABELS, LSD_LABELS, lsdIndex } from '../src/models/labels.js';
import { loadManifest } from '../src/models/manifest.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { listFaceCrops, type FaceCropItem } from '../src/pipeline/faceCropSource.js';
import { scoreFaceCrops } from '../src/pipeline/scoreFaceCrops.js';
import { readTrainingSet } from '../src/train/trainingSet.js';
import { SHARED_DATA } from '../src/util/paths.js';

const { values, positionals } = parseArgs({
  options: { sets: { type: 'string', default: 'wild,ferplus,fer2013' }, json: { type: 'string' } },
  allowPositionals: true,
});
const SETS: Record<string, () => FaceCropItem[]> = {
  wild: () => listFaceCrops(join(SHARED_DATA, 'wild_expressions_dev')).filter((it) => it.label && LSD_LABELS.includes(it.label)),
  ferplus: () =>
    readTrainingSet(join(SHARED_DATA, 'ferplus', 'FER2013Test'), 'hard')
      .faces.filter((f) => f.label > 0)
      .map((f) => ({ name: f.path, path: f.path, label: CANONICAL_LABELS[f.label] })),
  fer2013: () => listFaceCrops(join(SHARED_DATA, 'fer2013_test', 'test')).filter((it) => it.label && LSD_LABELS.includes(it.label)),
};
const sets = values.sets!.split(',').map((name) => ({ name, items: SETS[name]() }));
const pool = new InferencePool();
const results: Record<string, Record<string, Record<string, MacroF1Summary>>> = {};
for (const file of positionals) {
  const manifest = loadManifest(file);
  const ensemble = await Ensemble.load(manifest, pool, 'cpu');
  console.log(`\n### ${manifest.name} (${file})\n`);
  console.log(`| model | ${sets.map((s) => `${s.name} (${s.items.length})`).join(' | ')} |`);
  console.log(`|---|${sets.map(() => '---').join('|')}|`);
  const rows = new Map<string, string[]>();
  results[manifest.name] = {};
  for (const set of sets) {
    const started = performance.now();
    const scored = await scoreFaceCrops(set.items, ensemble, { batchSize: 64 });
    const seconds = (performance.now() - started) / 1000;
    const truth = scored.map((s) => LSD_LABELS.indexOf(s.item.label!));
    const candidates: [string, number[]][] = [
      ...manifest.members.map((m, k): [string, number[]] => [`${m.name} alone`, scored.map((s) => lsdIndex(s.prediction.members[k]))]),
      ['vote', scored.map((s) => lsdIndex(s.prediction.probs))],
    ];
    for (const [label, pred] of candidates) {
      const summary = macroF1Summary([...LSD_LABELS], truth, pred);
      (results[manifest.name][label] ??= {})[set.name] = summary;
      rows.set(label, [...(rows.get(label) ?? []), formatMacroF1(summary)]);
    }
    rows.set('images/s', [...(rows.get('images/s') ?? []), (set.items.length / seconds).toFixed(0)]);
  }
  for (const [label, cells] of rows) console.log(`| ${label === 'vote' ? '**vote**' : label} | ${cells.join(' | ')} |`);
}
await pool.close();
if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 2) + '\n');
