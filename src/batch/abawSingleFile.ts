import { basename, extname } from 'node:path';
import { InputError } from '../pipeline/faceCropSource.js';
import { naturalCompare } from '../pipeline/mediaNames.js';
import { ABAW_EXPR_HEADER, formatAbawExprSingle, readLabelTrack } from '../sinks/abawExpr.js';

/** The labels of an abaw-expr `<video>.txt` this project wrote: the header must be its own. */
export function readAbawExprFile(file: string): number[] {
  const { classes, labels } = readLabelTrack(file);
  if (classes.join(',') !== ABAW_EXPR_HEADER) throw new InputError(`${file}: not an abaw-expr file (first line is not "${ABAW_EXPR_HEADER}")`);
  return labels;
}

/** ABAW's single file from per-video abaw-expr files, ordered by their names (`<video>[_<role>]`). */
export function joinAbawExprFiles(files: string[]): string {
  const videos = files.map((f) => ({ name: basename(f, extname(f)), labels: readAbawExprFile(f) })).sort((a, b) => naturalCompare(a.name, b.name));
  return formatAbawExprSingle(videos);
}
