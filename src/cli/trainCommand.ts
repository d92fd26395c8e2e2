import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { placementLine } from '../models/ort/cpuPlacement.js';
import { InferencePool } from '../models/ort/inferencePool.js';
import { TRAIN_DEFAULTS, TRAINING_RECIPES } from '../train/recipes.js';
import { trainEnsemble } from '../train/trainEnsemble.js';
import { assertWritable } from '../util/outputSafety.js';
import { parseOptions, UsageError } from './parseOptions.js';
import { deviceArg, oneOf, positiveInt } from './videoSettings.js';

export const TRAIN_HELP = `fer-stream train — a bagged ensemble of multi-task heads on the frozen pretrained branches

Usage:
  fer-stream train --data <training set> [--val <set>]... --out <dir> [options]
  fer-stream train --recipe default|accurate --out <dir> [options]   what ships in config/*-heads, from
                          ../shared/data (any option below overrides the recipe's)

Training and validation sets: a FER+ folder (PNG faces and label.csv with 10 crowd votes each) or a
class-folder tree (ABAW4 LSD's ANGRER, DISGUST, FEAR, HAPPINESS, SADNESS, SURPRISE, or lower-case names;
neutral allowed).

Options:
  --members <k>           members of the bag (default 5)
  --fraction <f>          each member's bootstrap sample: round(f x faces) drawn with replacement
                          (default 0.2, the paper's; 1 = the classic bootstrap, about 63% distinct faces)
  --sampling bootstrap|all   bootstrap (default): bagging as above; all: every face once for each member
                          (members differ by features and seed only; what the shipped default used)
  --seed <s>              makes the run reproducible (default 1)
  --targets soft|hard     FER+: train on the vote distribution (default) or its majority
  --lambda <x>            weight of the landmark MSE beside the expression cross-entropy (default 10; 0 =
                          single task)
  --hidden <n>            units of the shared layer (default 128)
  --epochs <n>            at most (default 30; early stopping after 5 without a better validation F1)
  --configs cycle|same    members cycle through feature configurations (default) or all use the first
  --augment none|jitter   jitter: a third view of every training face, degraded by a seeded jitter of
                          framing, mirror, contrast, brightness and blur (default none; measured in
                          docs/training.md)
  --early-stop <i>        which --val (0-based) early stopping watches (default 0, the first)
  --blend-on <i>          which --val chooses the blend with the pretrained members' vote (default: the
                          last); choose data that no member was trained on
  --no-blend              the bagged heads alone (alpha 0)
  --features <manifest>   your own networks as more frozen branches: each member of this ensemble
                          manifest that names outputs.features (e.g. its penultimate layer) feeds every
                          head beside the built-in features (aligned members are warped by the trunk's
                          landmarks). The export is then a manifest of the trunk, those members and the
                          heads (heads.onnx) as a stacked member; each branch still runs once per face
  --device cpu|webgpu|cuda|auto   where the frozen branches run while features are extracted (default cpu:
                          the shipped heads were made there; features are cached either way); the heads
                          train in TF.js on the CPU. The report's providers say what ran
  --quiet

Writes <out>/ensemble.onnx (the frozen branches once per face, every head, the soft vote and the blend;
with --features: heads.onnx and the feature members' models), <out>/manifest.json (load it with --manifest, or in serve configs), report.json and report.html.
Example:
  fer-stream train --data ../shared/data/ferplus/FER2013Train --val ../shared/data/ferplus/FER2013Valid \\
    --val ../shared/data/wild_expressions_dev --members 5 --fraction 0.2 --seed 1 --out ens/`;

function positiveNumber(name: string, value: string | undefined, fallback: number, max = Infinity): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > max) throw new UsageError(`--${name}: expected a number from 0 to ${max}, got "${value}"`);
  return n;
}

export async function train(argv: string[]): Promise<number> {
  const v = parseOptions(argv, {
    recipe: { type: 'string' },
    data: { type: 'string' },
    val: { type: 'string', multiple: true },
    sampling: { type: 'string' },
    out: { type: 'string', short: 'o' },
    members: { type: 'string' },
    fraction: { type: 'string' },
    seed: { type: 'string' },
    targets: { type: 'string' },
    lambda: { type: 'string' },
    hidden: { type: 'string' },
    epochs: { type: 'string' },
    configs: { type: 'string' },
    augment: { type: 'string' },
    'early-stop': { type: 'string' },
    'blend-on': { type: 'string' },
    'no-blend': { type: 'boolean', default: false },
    features: { type: 'string' },
    device: { type: 'string', default: 'cpu' },
    quiet: { type: 'boolean', short: 'q', default: false },
  });
  const recipe =
    v.recipe === undefined ? undefined : TRAINING_RECIPES[oneOf('recipe', v.recipe, ['default', 'accurate'] as const, 'default')];
  // The recipe's settings, else the command's own; a flag overrides either.
  const d = { ...TRAIN_DEFAULTS, ...recipe };
  const data = v.data ?? recipe?.data;
  if (!data) throw new UsageError('train needs --data <training set> (or --recipe default|accurate)');
  if (!v.out) throw new UsageError('train needs --out <dir>');
  const val = (v.val ?? recipe?.val ?? []).map((p) => resolve(p));
  if (!val.length)
    throw new UsageError('train needs at least one --val <set> (early stopping and the blend are chosen on validation data)');
  const index = (name: string, value: string | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n >= val.length)
      throw new UsageError(`--${name}: expected an index of --val from 0 to ${val.length - 1}, got "${value}"`);
    return n;
  };
  const fraction = positiveNumber('fraction', v.fraction, d.fraction, 1);
  if (fraction === 0) throw new UsageError('--fraction: must be above 0');
  assertWritable(join(v.out, 'manifest.json'));
  const tty = Boolean(process.stderr.isTTY) && !v.quiet;
  const log = (line: string) => v.quiet || process.stderr.write(`${tty ? '\r\x1b[K' : ''}fer-stream: ${line}\n`);
  let lastLine = 0;
  const progress = (line: string) => {
    if (tty) process.stderr.write(`\r\x1b[K${line}`);
    else if (!v.quiet && Date.now() - lastLine > 10_000) {
      lastLine = Date.now();
      process.stderr.write(`fer-stream: ${line}\n`);
    }
  };
  const pool = new InferencePool({ workers: Math.min(2, availableParallelism()) });
  try {
    const report = await trainEnsemble(pool, {
      data: resolve(data),
      val,
      earlyStop: index('early-stop', v['early-stop'], d.earlyStop),
      blendOn: index('blend-on', v['blend-on'], recipe?.blendOn ?? val.length - 1),
      members: positiveInt('members', v.members, d.members),
      fraction,
      sampling: oneOf('sampling', v.sampling, ['bootstrap', 'all'] as const, d.sampling),
      seed: positiveInt('seed', v.seed, d.seed),
      out: v.out,
      targets: oneOf('targets', v.targets, ['soft', 'hard'] as const, d.targets),
      lambda: positiveNumber('lambda', v.lambda, d.lambda),
      hidden: positiveInt('hidden', v.hidden, d.hidden),
      epochs: positiveInt('epochs', v.epochs, d.epochs),
      configs: oneOf('configs', v.configs, ['cycle', 'same'] as const, d.configs),
      augment: oneOf('augment', v.augment, ['none', 'jitter'] as const, d.augment),
      alphas: v['no-blend'] ? [0] : d.alphas,
      features: v.features === undefined ? recipe?.features : resolve(v.features),
      device: deviceArg(v.device!),
      log,
      progress,
    });
    const placement = placementLine(pool.placements);
    log(
      `features ran on ${report.providers.join(', ') || 'nothing: every feature came from the cache'}${placement ? `; ${placement}` : ''}`,
    );
    for (const [set, r] of Object.entries(report.results)) {
      log(
        `${set}: macro F1 pretrained vote ${r.pretrained.f1.toFixed(3)}, bagged heads ${r.bagged.f1.toFixed(3)}, exported ensemble ${r.ensemble.f1.toFixed(3)} (accuracy ${(100 * r.ensemble.acc).toFixed(1)}%)`,
      );
    }
    log(
      `wrote ${join(v.out, v.features ? 'heads.onnx' : 'ensemble.onnx')}, manifest.json, report.json, report.html (features ${report.seconds.features.toFixed(0)} s, training ${report.seconds.training.toFixed(0)} s)`,
    );
    return 0;
  } finally {
    await pool.close();
  }
}
