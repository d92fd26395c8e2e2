import { basename, extname } from 'node:path';
import { InputError } from '../util/inputError.js';
import { naturalCompare } from '../util/mediaNames.js';
import { ABAW_EXPR_HEADER, formatAbawExprSingle, readLabelTrack } from '../sinks/abawExpr.js';

/** The labels of an abaw-expr `<video>.txt` this project wrote: the header must be its own. */
export function readAbawExprFile(file: string): number[] {
  const { classes, labels } = readLabelTrack(file);
  if (classes.join(',') !== ABAW_EXPR_HEADER)
    throw new InputError(`${file}: not an abaw-expr file (first line is not "${ABAW_EXPR_HEADER}")`);
  return labels;
}

/** A per-video abaw-expr file to join, with the number of frames it must hold when that is known. */
export interface PerVideoFile {
  path: string;
  frames?: number;
}

/**
 * ABAW's single file from per-video abaw-expr files, ordered by their names (`<video>[_<role>]`), and the
 * rows it holds. A file with another number of frames than it should (cut short since it was written) is
 * an InputError naming it: the single file would silently lack its frames.
 */
export function joinAbawExprFiles(files: (string | PerVideoFile)[]): { text: string; rows: number } {
  const videos = files
    .map((f) => (typeof f === 'string' ? { path: f } : f))
    .map(({ path, frames }) => {
      const labels = readAbawExprFile(path);
      if (frames !== undefined && labels.length !== frames) {
        throw new InputError(
          `${path}: ${labels.length} frame(s), but its video has ${frames}; the file was cut or changed after it was written (rerun its video)`,
        );
      }
      return { name: basename(path, extname(path)), labels };
    })
    .sort((a, b) => naturalCompare(a.name, b.name));
  return { text: formatAbawExprSingle(videos), rows: videos.reduce((a, v) => a + v.labels.length, 0) };
}
