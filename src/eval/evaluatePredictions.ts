import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { canonicalLabel, LSD_LABELS, type CanonicalLabel } from '../models/labels.js';
import { InputError, listFaceCrops } from '../pipeline/faceCropSource.js';
import { classificationReport, type EvalReport } from './metrics.js';

/** Reads `image,expression` (abaw-lsd or fer-stream csv): name -> LSD label index 0-5. */
export function readPredictions(file: string): Map<string, number> {
  if (!existsSync(file)) throw new InputError(`--pred ${file}: no such file`);
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim());
  const header = lines[0]?.split(',').map((s) => s.trim().toLowerCase()) ?? [];
  const col = header.indexOf('expression');
  if (header[0] !== 'image' || col < 0) throw new InputError(`--pred ${file}: first line must start "image,expression"`);
  const out = new Map<string, number>();
  lines.slice(1).forEach((line, i) => {
    const cells = line.split(',');
    const v = Number(cells[col]);
    if (!Number.isInteger(v) || v < 0 || v >= LSD_LABELS.length) {
      throw new InputError(`--pred ${file}: line ${i + 2}: expression must be 0-5, got "${cells[col]}"`);
    }
    out.set(cells[0].trim(), v);
  });
  return out;
}

/**
 * Ground truth from a class-folder tree (names `<CLASS>/<file>`, classes matched with synonyms) or a
 * labels file `image,expression` whose labels are 0-5 or class names.
 */
export function readGroundTruth(path: string): Map<string, CanonicalLabel | undefined> {
  if (!existsSync(path)) throw new InputError(`--labels ${path}: no such file or folder`);
  if (statSync(path).isDirectory()) return new Map(listFaceCrops(path).map((it) => [it.name, it.label]));
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.trim());
  const header = lines[0]?.split(',').map((s) => s.trim().toLowerCase()) ?? [];
  const col = header.indexOf('expression');
  if (header[0] !== 'image' || col < 0) throw new InputError(`--labels ${path}: first line must start "image,expression"`);
  return new Map(
    lines.slice(1).map((line) => {
      const cells = line.split(',').map((s) => s.trim());
      const v = cells[col];
      const label = /^\d+$/.test(v) ? LSD_LABELS[Number(v)] : canonicalLabel(v);
      return [cells[0], label] as const;
    }),
  );
}

export interface Evaluation {
  report: EvalReport;
  /** Ground-truth images outside the six LSD classes (neutral, unknown folders), left out. */
  skipped: number;
  /** Predictions matched to truth by file name only, because the paths differed. */
  matchedByBasename: number;
  /** Predictions for images that have no ground truth. */
  unmatchedPredictions: number;
}

/** Scores predictions against ground truth over the six LSD classes. */
export function evaluatePredictions(pred: Map<string, number>, truth: Map<string, CanonicalLabel | undefined>): Evaluation {
  const byBase = new Map<string, number | null>();
  for (const [name, v] of pred) byBase.set(basename(name), byBase.has(basename(name)) ? null : v);
  const t: number[] = [];
  const p: number[] = [];
  let skipped = 0;
  let byBasename = 0;
  const used = new Set<string>();
  for (const [name, label] of truth) {
    const c = label ? LSD_LABELS.indexOf(label) : -1;
    if (c < 0) {
      skipped++;
      used.add(name);
      continue;
    }
    let v = pred.get(name);
    if (v !== undefined) used.add(name);
    else {
      const b = byBase.get(basename(name));
      if (b !== undefined && b !== null) {
        v = b;
        byBasename++;
      }
    }
    t.push(c);
    p.push(v ?? -1);
  }
  const unmatched = [...pred.keys()].filter((n) => !truth.has(n)).length - byBasename;
  return {
    report: classificationReport([...LSD_LABELS], t, p),
    skipped,
    matchedByBasename: byBasename,
    unmatchedPredictions: Math.max(0, unmatched),
  };
}
