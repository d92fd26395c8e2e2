import { readFileSync } from 'node:fs';
import { InputError } from '../util/inputError.js';
import { argmaxOver, CANONICAL_LABELS } from '../models/labels.js';

/** ABAW expression-track classes; the first seven are CANONICAL_LABELS in the same order, `Other` is never predicted. */
export const ABAW_EXPR_HEADER = 'Neutral,Anger,Disgust,Fear,Happiness,Sadness,Surprise,Other';

const ALL = CANONICAL_LABELS.map((_, i) => i);

/** ABAW expression index of voted probabilities (over CANONICAL_LABELS); -1 without a face. */
export function abawExpressionIndex(probs: ArrayLike<number> | undefined): number {
  return probs ? argmaxOver(probs, ALL) : -1;
}

/** A `<video>.txt` of the ABAW expression track: the header, then one label per frame (line i = frame i = `0000i.jpg`). */
export function formatAbawExpr(labels: number[]): string {
  return [ABAW_EXPR_HEADER, ...labels.map(String)].join('\n') + '\n';
}

/**
 * A video name the single-file form can hold: its rows are `<video>/<NNNNN>.jpg,<label>` with no quoting, so
 * a comma or a line break in a name would make rows of three fields or split one over two lines.
 */
export function refuseUnwritableSingleFileNames(names: string[]): void {
  const bad = names.find((n) => /[,\r\n]/.test(n));
  if (bad !== undefined) {
    throw new InputError(
      `--format abaw-expr-single cannot name video ${JSON.stringify(bad)}: its rows are "<video>/<frame>.jpg,<label>" with no quoting, so a comma or line break would break them; rename the file or use --format csv`,
    );
  }
}

/** ABAW's single-file form: `image_location,<classes>` then `<video>/<NNNNN>.jpg,<label>` for every frame of every video. */
export function formatAbawExprSingle(videos: { name: string; labels: number[] }[]): string {
  refuseUnwritableSingleFileNames(videos.map((v) => v.name));
  const rows = videos.flatMap(({ name, labels }) => labels.map((l, i) => `${name}/${String(i + 1).padStart(5, '0')}.jpg,${l}`));
  return [`image_location,${ABAW_EXPR_HEADER}`, ...rows].join('\n') + '\n';
}

/** One video's per-frame labels with the class names of its header (-1: no label). */
export interface LabelTrack {
  classes: string[];
  labels: number[];
}

/** A first line that names classes (letters, commas), as opposed to a label. */
export const isLabelHeader = (line: string) => /[A-Za-z]/.test(line) && line.includes(',');

/**
 * Reads a per-video label file of the ABAW expression track (predictions or the organisers' annotations): a
 * header naming the classes, then one class index per frame (-1: none), each checked.
 */
export function readLabelTrack(file: string): LabelTrack {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  if (!isLabelHeader(lines[0]))
    throw new InputError(`${file}: the first line must name the classes (e.g. Neutral,Anger,...), got "${lines[0]}"`);
  const classes = lines[0].split(',').map((c) => c.trim());
  const labels = lines
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      const n = Number(l.trim());
      if (!Number.isInteger(n) || n < -1 || n >= classes.length)
        throw new InputError(`${file}:${i + 2}: expected a class index 0-${classes.length - 1} or -1, got "${l.trim()}"`);
      return n;
    });
  return { classes, labels };
}
