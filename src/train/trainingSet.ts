import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { canonicalLabel, CANONICAL_LABELS } from '../models/labels.js';
import { InputError } from '../util/inputError.js';
import { isImageName, naturalCompare } from '../util/mediaNames.js';

/**
 * One training or validation face: an image and a distribution over CANONICAL_LABELS (neutral and the six
 * LSD classes; one-hot, or crowd votes).
 */
export interface LabelledFace {
  path: string;
  /** Over CANONICAL_LABELS; sums to 1. */
  target: Float64Array;
  /** The majority class (CANONICAL_LABELS index), for class weights and scoring. */
  label: number;
}

export interface TrainingSet {
  name: string;
  faces: LabelledFace[];
  /** Faces left out, by reason, with counts (contempt/unknown/not-a-face majorities, missing images). */
  skipped: Record<string, number>;
}

/** FER+'s vote columns in label.csv, after the file name and the face box. */
const FERPLUS_COLUMNS = ['neutral', 'happiness', 'surprise', 'sadness', 'anger', 'disgust', 'fear', 'contempt', 'unknown', 'not-a-face'];

/**
 * Reads a training set: a FER+ folder (PNG faces and `label.csv`, 10 crowd votes per face) or a class-folder
 * tree (ABAW4 LSD's `ANGRER`, `DISGUST`, ..., or the usual lower-case names). FER+ faces keep their vote
 * distribution over neutral and the six classes as the target (`soft`), or its majority (`hard`); a face
 * whose majority is contempt, unknown or not-a-face is left out, counted.
 */
export function readTrainingSet(dir: string, targets: 'soft' | 'hard' = 'soft'): TrainingSet {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`${dir}: not a folder`);
  return existsSync(join(dir, 'label.csv')) ? readFerPlus(dir, targets) : readClassFolders(dir);
}

function oneHot(label: number): Float64Array {
  const t = new Float64Array(CANONICAL_LABELS.length);
  t[label] = 1;
  return t;
}

function readClassFolders(dir: string): TrainingSet {
  const faces: LabelledFace[] = [];
  const skipped: Record<string, number> = {};
  const unknown: string[] = [];
  for (const sub of readdirSync(dir).sort(naturalCompare)) {
    const path = join(dir, sub);
    if (!statSync(path).isDirectory()) continue;
    const c = canonicalLabel(sub);
    if (!c) {
      unknown.push(sub);
      continue;
    }
    const images = readdirSync(path).filter(isImageName).sort(naturalCompare);
    const label = CANONICAL_LABELS.indexOf(c);
    if (!images.length) throw new InputError(`${path}: class folder ${sub} has no images`);
    for (const f of images) faces.push({ path: join(path, f), target: oneHot(label), label });
  }
  if (unknown.length)
    throw new InputError(
      `${dir}: unknown class folder(s) ${unknown.join(', ')}; expected ${CANONICAL_LABELS.join(', ')} (or ABAW4 LSD's ANGRER, DISGUST, ...)`,
    );
  if (!faces.length) throw new InputError(`${dir}: no class folders with images (expected ${CANONICAL_LABELS.join(', ')})`);
  return { name: basename(dir), faces, skipped };
}

function readFerPlus(dir: string, targets: 'soft' | 'hard'): TrainingSet {
  const faces: LabelledFace[] = [];
  const skipped: Record<string, number> = {};
  const skip = (why: string) => (skipped[why] = (skipped[why] ?? 0) + 1);
  const present = new Set(readdirSync(dir));
  const lines = readFileSync(join(dir, 'label.csv'), 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim());
  for (const [i, line] of lines.entries()) {
    // fer0000000.png,"(0, 0, 48, 48)",4,0,0,1,3,2,0,0,0,0
    const m = /^([^,]+),"[^"]*",(.*)$/.exec(line);
    const votes = m?.[2].split(',').map(Number);
    if (!m || votes!.length !== FERPLUS_COLUMNS.length || votes!.some((v) => !Number.isFinite(v))) {
      throw new InputError(`${join(dir, 'label.csv')}:${i + 1}: expected "<file>,\\"(box)\\",<10 votes>", got "${line.slice(0, 80)}"`);
    }
    const at = `${join(dir, 'label.csv')}:${i + 1}`;
    if (votes!.some((v) => v < 0))
      throw new InputError(`${at}: a negative vote count in "${line.slice(0, 80)}"; votes are counts of annotators`);
    if (!present.has(m[1])) {
      skip('image missing');
      continue;
    }
    // A row nobody voted on has no target (its soft target would be 0/0, and NaN poisons the whole head).
    if (!votes!.some((v) => v > 0)) {
      skip('no positive vote');
      continue;
    }
    const best = votes!.indexOf(Math.max(...votes!));
    const majority = CANONICAL_LABELS.indexOf(canonicalLabel(FERPLUS_COLUMNS[best]) as never);
    if (majority < 0) {
      skip(`majority ${FERPLUS_COLUMNS[best]}`);
      continue;
    }
    let target = oneHot(majority);
    if (targets === 'soft') {
      target = new Float64Array(CANONICAL_LABELS.length);
      CANONICAL_LABELS.forEach((c, k) => (target[k] = votes![FERPLUS_COLUMNS.indexOf(c)]));
      const sum = target.reduce((a, b) => a + b, 0);
      target = target.map((v) => v / sum);
    }
    faces.push({ path: join(dir, m[1]), target, label: majority });
  }
  if (!faces.length) throw new InputError(`${dir}: label.csv names no usable face`);
  return { name: basename(dir), faces, skipped };
}
