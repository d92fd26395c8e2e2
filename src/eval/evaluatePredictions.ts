import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { canonicalLabel, LSD_LABELS } from '../models/labels.js';
import { listFaceCrops, listSome } from '../pipeline/faceCropSource.js';
import { InputError } from '../util/inputError.js';
import { classificationReport, type EvalReport } from './metrics.js';

/**
 * Labels a ground truth may carry beyond the canonical seven: real classes that ABAW4 LSD's six leave out,
 * so they are counted and left out rather than refused as unknown.
 */
const OTHER_KNOWN_LABELS = new Set(['contempt', 'other']);

/** A ground-truth label: a canonical label (`anger`, `neutral`, ...) or another known class (`contempt`). */
export type TruthLabel = string;

/** Reads `image,expression` (abaw-lsd or fer-stream csv): name -> LSD label index 0-5. Repeated names are an error. */
export function readPredictions(file: string): Map<string, number> {
  if (!existsSync(file)) throw new InputError(`--pred ${file}: no such file`);
  const lines = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim());
  const header = lines[0]?.split(',').map((s) => s.trim().toLowerCase()) ?? [];
  const col = header.indexOf('expression');
  if (header[0] !== 'image' || col < 0) throw new InputError(`--pred ${file}: first line must start "image,expression"`);
  const out = new Map<string, number>();
  const lineOf = new Map<string, number[]>();
  lines.slice(1).forEach((line, i) => {
    const cells = line.split(',');
    const v = Number(cells[col]);
    if (!Number.isInteger(v) || v < 0 || v >= LSD_LABELS.length) {
      throw new InputError(`--pred ${file}: line ${i + 2}: expression must be 0-5, got "${cells[col]}"`);
    }
    const name = cells[0].trim();
    out.set(name, v);
    lineOf.set(name, [...(lineOf.get(name) ?? []), i + 2]);
  });
  const repeated = [...lineOf].filter(([, at]) => at.length > 1);
  if (repeated.length) {
    throw new InputError(
      `--pred ${file}: ${repeated.length} image(s) predicted more than once: ${listSome(
        repeated.map(([n, at]) => `${n} (lines ${at.join(', ')})`),
        5,
      )}`,
    );
  }
  return out;
}

/** A label as written in a ground truth: canonical, another known class, or undefined when unknown. */
function truthLabel(value: string): TruthLabel | undefined {
  if (/^\d+$/.test(value)) return LSD_LABELS[Number(value)];
  return canonicalLabel(value) ?? (OTHER_KNOWN_LABELS.has(value.trim().toLowerCase()) ? value.trim().toLowerCase() : undefined);
}

/**
 * Ground truth from a class-folder tree (names `<CLASS>/<file>`, classes matched with synonyms) or a labels
 * file `image,expression` whose labels are 0-5 or class names. A label that is none of these (`angery`, `9`)
 * is an error that lists them all: silently dropping it would change the score.
 */
export function readGroundTruth(path: string): Map<string, TruthLabel> {
  if (!existsSync(path)) throw new InputError(`--labels ${path}: no such file or folder`);
  const unknown = new Map<string, number>();
  const labelled = (name: string, raw: string): [string, TruthLabel] => {
    const label = truthLabel(raw);
    if (!label) unknown.set(raw || '(no class)', (unknown.get(raw || '(no class)') ?? 0) + 1);
    return [name, label ?? ''];
  };
  let truth: [string, TruthLabel][];
  if (statSync(path).isDirectory()) {
    truth = listFaceCrops(path).map((it) => labelled(it.name, it.name.includes('/') ? it.name.split('/')[0] : ''));
  } else {
    const lines = readFileSync(path, 'utf8')
      .split(/\r?\n/)
      .filter((l) => l.trim());
    const header = lines[0]?.split(',').map((s) => s.trim().toLowerCase()) ?? [];
    const col = header.indexOf('expression');
    if (header[0] !== 'image' || col < 0) throw new InputError(`--labels ${path}: first line must start "image,expression"`);
    truth = lines.slice(1).map((line) => {
      const cells = line.split(',').map((s) => s.trim());
      return labelled(cells[0], cells[col] ?? '');
    });
  }
  if (unknown.size) {
    const listed = [...unknown].map(([raw, n]) => `"${raw}" (${n})`);
    throw new InputError(
      `--labels ${path}: ${unknown.size} unknown label(s): ${listSome(listed)}; known: 0-5, the six classes, neutral, contempt, other and their usual spellings`,
    );
  }
  return new Map(truth);
}

export interface Evaluation {
  report: EvalReport;
  /** Ground-truth images outside the six LSD classes, left out, counted by label (`neutral: 12`). */
  skipped: Record<string, number>;
  /** Predictions matched to truth by file name only, because the paths differed. */
  matchedByBasename: number;
  /** Predictions for images that have no ground truth. */
  unmatchedPredictions: number;
}

/** Scores predictions against ground truth over the six LSD classes. No prediction matching any truth is an error. */
export function evaluatePredictions(pred: Map<string, number>, truth: Map<string, TruthLabel>): Evaluation {
  const byBase = new Map<string, number | null>();
  for (const [name, v] of pred) byBase.set(basename(name), byBase.has(basename(name)) ? null : v);
  const t: number[] = [];
  const p: number[] = [];
  const skipped: Record<string, number> = {};
  let byBasename = 0;
  let matched = 0;
  for (const [name, label] of truth) {
    const c = LSD_LABELS.indexOf(label as (typeof LSD_LABELS)[number]);
    if (c < 0) {
      skipped[label] = (skipped[label] ?? 0) + 1;
      if (pred.has(name)) matched++;
      continue;
    }
    let v = pred.get(name);
    if (v === undefined) {
      const b = byBase.get(basename(name));
      if (b !== undefined && b !== null) {
        v = b;
        byBasename++;
      }
    }
    if (v !== undefined) matched++;
    t.push(c);
    p.push(v ?? -1);
  }
  if (matched === 0) {
    throw new InputError(
      `no prediction matches a ground-truth image (predictions name e.g. ${[...pred.keys()].slice(0, 2).join(', ') || 'nothing'}; the ground truth names e.g. ${[...truth.keys()].slice(0, 2).join(', ') || 'nothing'})`,
    );
  }
  const unmatched = [...pred.keys()].filter((n) => !truth.has(n)).length - byBasename;
  return {
    report: classificationReport([...LSD_LABELS], t, p),
    skipped,
    matchedByBasename: byBasename,
    unmatchedPredictions: Math.max(0, unmatched),
  };
}
