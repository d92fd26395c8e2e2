/**
 * Reproduces the default ensemble's trained heads from ../shared/data and checks them:
 *   npm run train:default
 *   npm run train:accurate    (the same recipe with OpenCV Zoo's features as well: --features
 *                              config/accurate-features.json; writes config/accurate-heads)
 * = fer-stream train --recipe default (src/train/recipes.ts: FER2013Train, early stopping on FER2013Valid, the
 *     blend chosen on wild_expressions_dev, five members on every face each (sampling all: what shipped; no
 *     bootstrap), a third, degraded view of each training face); this wrapper adds the check and the copy
 * then copies heads.json/heads.bin into config/default-heads (the built-in model `bagged-default` is rebuilt from
 * them at install), and fails unless the new ensemble beats the pretrained members' vote on
 * wild_expressions_dev. No training data is written into the repository: only the heads' weights.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { TRAINING_RECIPES } from '../src/train/recipes.js';
import { trainEnsemble } from '../src/train/trainEnsemble.js';
import { PACKAGE_ROOT } from '../src/util/paths.js';

const accurate = process.argv.includes('--accurate');
const recipe = TRAINING_RECIPES[accurate ? 'accurate' : 'default'];
const out = mkdtempSync(join(tmpdir(), 'fer-default-heads-'));
const pool = new InferencePool({ workers: 2 });
const report = await trainEnsemble(pool, { ...recipe, out, device: 'cpu', log: (l) => console.log(l), progress: () => undefined });
await pool.close();
const wild = report.results.wild_expressions_dev;
console.log(
  `wild_expressions_dev: pretrained vote ${wild.pretrained.f1.toFixed(3)}, new ensemble ${wild.ensemble.f1.toFixed(3)} (out of fold ${report.blendOutOfFold?.toFixed(3)})`,
);
if (!(wild.ensemble.f1 > wild.pretrained.f1)) {
  console.error('the trained ensemble does not beat the pretrained vote on wild_expressions_dev; config/default-heads left as it was');
  process.exit(1);
}
const dest = process.env.FER_STREAM_DEFAULT_HEADS ?? join(PACKAGE_ROOT, 'config', accurate ? 'accurate-heads' : 'default-heads');
mkdirSync(dest, { recursive: true });
for (const f of ['heads.json', 'heads.bin']) copyFileSync(join(out, f), join(dest, f));
copyFileSync(join(out, 'report.json'), join(dest, 'report.json'));
console.log(
  `wrote ${dest}/heads.json, heads.bin (${readFileSync(join(dest, 'heads.bin')).length} bytes) and report.json; the built-in model ${accurate ? 'bagged-accurate-heads' : 'bagged-default'} is rebuilt from them on next use`,
);
