import { extname } from 'node:path';
import { CANONICAL_LABELS, LSD_LABELS, lsdIndex } from '../models/labels.js';
import type { ScoredCrop } from '../pipeline/scoreFaceCrops.js';
import { writeOutput } from '../util/atomicFile.js';
import { csvField } from './csvField.js';

export const CROP_FORMATS = ['abaw-lsd', 'csv', 'jsonl'] as const;
export type CropFormat = (typeof CROP_FORMATS)[number];

/** `image,expression` then `name,label` per image, in input order: the file ABAW4 LSD scores. */
export function formatAbawLsd(results: ScoredCrop[]): string {
  return ['image,expression', ...results.map((r) => `${r.item.name},${lsdIndex(r.prediction.probs)}`)].join('\n') + '\n';
}

/** ABAW's two columns, then the label name, the face box (with --detect) and the voted probabilities. */
export function formatCropCsv(results: ScoredCrop[]): string {
  const header = ['image', 'expression', 'label', 'face_x', 'face_y', 'face_w', 'face_h', ...CANONICAL_LABELS.map((l) => `p_${l}`)];
  const rows = results.map((r) => {
    const label = lsdIndex(r.prediction.probs);
    const b = r.box;
    return [
      csvField(r.item.name),
      String(label),
      LSD_LABELS[label],
      ...(b ? [b.x, b.y, b.width, b.height].map((v) => v.toFixed(1)) : ['', '', '', '']),
      ...Array.from(r.prediction.probs, (p) => p.toFixed(6)),
    ].join(',');
  });
  return [header.join(','), ...rows].join('\n') + '\n';
}

/** The csv row as a JSON object per line: image, expression, label, face box (with --detect), probabilities. */
export function formatCropJsonl(results: ScoredCrop[]): string {
  const lines = results.map((r) => {
    const expression = lsdIndex(r.prediction.probs);
    const b = r.box;
    return JSON.stringify({
      image: r.item.name,
      expression,
      label: LSD_LABELS[expression],
      box: b ? { x: round(b.x, 1), y: round(b.y, 1), width: round(b.width, 1), height: round(b.height, 1) } : undefined,
      probs: Object.fromEntries(CANONICAL_LABELS.map((l, k) => [l, round(r.prediction.probs[k], 6)])),
    });
  });
  return lines.join('\n') + (lines.length ? '\n' : '');
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

const FORMATTERS: Record<CropFormat, (results: ScoredCrop[]) => string> = {
  'abaw-lsd': formatAbawLsd,
  csv: formatCropCsv,
  jsonl: formatCropJsonl,
};

/** `.csv` -> csv, `.jsonl`/`.ndjson` -> jsonl, else abaw-lsd (the competition's text file). */
export function cropFormatFor(out: string): CropFormat {
  const ext = extname(out).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : 'abaw-lsd';
}

/** Writes the whole output file atomically (temp file + rename): complete or absent. */
export function writeCropPredictions(path: string, format: CropFormat, results: ScoredCrop[]): void {
  writeOutput(path, FORMATTERS[format](results), `--out ${path}`);
}
