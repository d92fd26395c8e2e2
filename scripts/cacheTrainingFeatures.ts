/**
 * Fills the feature cache (.cache/features) for the shared training and validation sets ahead of
 * `fer-stream train` / `npm run train:default`, printing images/s of the frozen trunk.
 *   node dist/scripts/cacheTrainingFeatures.js
 */
import { join } from 'node:path';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { extractFeatures } from '../src/train/featureCache.js';
import { readTrainingSet } from '../src/train/trainingSet.js';
import { SHARED_DATA } from '../src/util/paths.js';

const pool = new InferencePool({ workers: 2 });
for (const [set, view] of [
  ['wild_expressions_dev', 'plain'],
  ['ferplus/FER2013Valid', 'plain'],
  ['ferplus/FER2013Test', 'plain'],
  ['fer2013_test/test', 'plain'],
  ['ferplus/FER2013Train', 'plain'],
  ['ferplus/FER2013Train', 'mirrored'],
  ['ferplus/FER2013Train', 'jittered'],
] as const) {
  const faces = readTrainingSet(join(SHARED_DATA, set)).faces;
  const started = performance.now();
  const f = await extractFeatures(pool, faces.map((x) => x.path), view);
  console.log(`${set}${view === 'plain' ? '' : ` (${view})`}: ${f.count} faces, ${f.unreadable.length} unreadable, ${(f.count / ((performance.now() - started) / 1000)).toFixed(0)} images/s`);
}
await pool.close();
