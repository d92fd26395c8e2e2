import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { InputError } from '../pipeline/faceCropSource.js';
import { naturalCompare } from '../pipeline/mediaNames.js';
import { ABAW_EXPR_HEADER, formatAbawExprSingle } from '../sinks/abawExpr.js';

/** The labels of an abaw-expr `<video>.txt`: every line after the header. */
export function readAbawExprFile(file: string): number[] {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  if (lines[0].trim() !== ABAW_EXPR_HEADER) throw new InputError(`${file}: not an abaw-expr file (first line is not "${ABAW_EXPR_HEADER}")`);
  return lines.slice(1).filter((l) => l.trim() !== '').map(Number);
}

/** ABAW's single file from per-video abaw-expr files, ordered by their names (`<video>[_<role>]`). */
export function joinAbawExprFiles(files: string[]): string {
  const videos = files.map((f) => ({ name: basename(f, extname(f)), labels: readAbawExprFile(f) })).sort((a, b) => naturalCompare(a.name, b.name));
  return formatAbawExprSingle(videos);
}
