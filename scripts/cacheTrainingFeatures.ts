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
for (const [set, mirrored] of [
  ['wild_expressions_dev', false],
  ['ferplus/FER2013Valid', false],
  ['ferplus/FER2013Test', false],
  ['fer2013_test/test', false],
  ['ferplus/FER2013Train', false],
  ['ferplus/FER2013Train', true],
] as const) {
  const faces = readTrainingSet(join(SHARED_DATA, set)).faces;
  const started = performance.now();
  const f = await extractFeatures(pool, faces.map((x) => x.path), mirrored ? 'mirrored' : 'plain');
  console.log(`${set}${mirrored ? ' (mirrored)' : ''}: ${f.count} faces, ${f.unreadable.length} unreadable, ${(f.count / ((performance.now() - started) / 1000)).toFixed(0)} images/s`);
}
await pool.close();
