/**
 * Each trained member against the bag, on sets where no member chose an epoch:
 *   npm run eval:members -- [heads.json] [--features <manifest>] [--set <folder>]...
 * Defaults: config/default-heads/heads.json; the sets FER+ Test, fer2013_test and wild_expressions_dev. For the
 * accurate ensemble: `npm run eval:members -- config/accurate-heads/heads.json --features config/accurate-features.json`.
 * Every member alone, the members' soft vote, the pretrained vote and the ensemble as shipped (the heads file's fusion and
 * expression calibration), 6-class macro F1
 * [95% bootstrap interval] / accuracy, from the cached features training uses (src/train/setFeatures.ts).
 */
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { evaluateHeads, formatHeadsScores } from '../src/train/evaluateHeads.js';
import { PACKAGE_ROOT, SHARED_DATA } from '../src/util/paths.js';

const USAGE = 'usage: npm run eval:members -- [heads.json] [--features <manifest>] [--set <folder>]...';
let parsed: { values: { features?: string; set?: string[] }; positionals: string[] };
try {
  parsed = parseArgs({ options: { features: { type: 'string' }, set: { type: 'string', multiple: true } }, allowPositionals: true });
} catch (e) {
  // An unknown flag or one without its value: one line and the usage.
  console.error(`eval:members: ${(e as Error).message}\n${USAGE}`);
  process.exit(2);
}
const { values, positionals } = parsed;
if (positionals.length > 1) {
  console.error(USAGE);
  process.exit(2);
}
const heads = positionals[0] ?? join(PACKAGE_ROOT, 'config', 'default-heads', 'heads.json');
const DEFAULT_SETS = [
  { name: 'FER+ Test', dir: join(SHARED_DATA, 'ferplus', 'FER2013Test') },
  { name: 'fer2013_test', dir: join(SHARED_DATA, 'fer2013_test', 'test') },
  { name: 'wild_expressions_dev', dir: join(SHARED_DATA, 'wild_expressions_dev') },
];
const sets = values.set?.length ? values.set.map((dir) => ({ name: relative(process.cwd(), dir) || dir, dir })) : DEFAULT_SETS;
const pool = new InferencePool({ workers: 2 });
try {
  const scores = await evaluateHeads(pool, heads, sets, {
    features: values.features,
    progress: process.stderr.isTTY ? (l) => process.stderr.write(`\r${l}   `) : undefined,
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  console.log(`${heads}${values.features ? ` with --features ${values.features}` : ''}`);
  console.log(formatHeadsScores(scores));
} catch (e) {
  // A wrong path or a heads file that needs --features: one line, not a stack.
  console.error(`eval:members: ${(e as Error).message}`);
  process.exitCode = 1;
} finally {
  await pool.close();
}
