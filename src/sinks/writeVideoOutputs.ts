import { mkdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { FrameRecord } from '../pipeline/faceRecords.js';
import { interpolateGaps, selectFaces, type FaceMode, type FaceSeries } from '../pipeline/selectFaces.js';
import { writeFileAtomic } from '../util/atomicFile.js';
import { abawExpressionIndex, formatAbawExpr, formatAbawExprSingle } from './abawExpr.js';
import { formatFaceCsv, formatFaceJsonl } from './faceTable.js';

export const VIDEO_FORMATS = ['abaw-expr', 'abaw-expr-single', 'csv', 'jsonl'] as const;
export type VideoFormat = (typeof VIDEO_FORMATS)[number];

/** `.txt` -> abaw-expr, `.csv` -> csv, `.jsonl`/`.ndjson` -> jsonl; anything else (a folder) -> abaw-expr. */
export function videoFormatFor(out: string): VideoFormat {
  const ext = extname(out).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : 'abaw-expr';
}

export interface ScoredVideoFrames {
  /** The video's name in outputs: its file name without extension. */
  name: string;
  width: number;
  frames: FrameRecord[];
}

export interface VideoOutputOptions {
  /** abaw-expr: `--out` is a folder (a folder of videos was scored), even for one video. */
  folder?: boolean;
  faces: FaceMode;
  fill: 'none' | 'interpolate';
  landmarks: boolean;
}

export const videoName = (path: string) => basename(path, extname(path));

const isFolder = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return /[\\/]$/.test(p);
  }
};

function labelsOf(series: FaceSeries, fill: VideoOutputOptions['fill']): number[] {
  const probs = series.faces.map((f) => f?.probs);
  return (fill === 'interpolate' ? interpolateGaps(probs) : probs).map(abawExpressionIndex);
}

/**
 * Writes the outputs of scored videos, each file atomically. abaw-expr writes one `.txt` per reported face:
 * to `--out` itself for one video and one face, else `<stem>_<role>.txt` beside it, or
 * `<folder>/<video>[_<role>].txt` when `--out` is a folder (always, for several videos).
 * The other formats write one file for all videos. Returns the files written.
 */
export function writeVideoOutputs(out: string, format: VideoFormat, videos: ScoredVideoFrames[], options: VideoOutputOptions): string[] {
  const selected = videos.map((v) => ({ ...v, series: selectFaces(v.frames, options.faces, v.width) }));
  mkdirSync(dirname(out), { recursive: true }); // the folder the output goes in; a missing one is made
  if (format === 'csv' || format === 'jsonl') {
    writeFileAtomic(out, (format === 'csv' ? formatFaceCsv : formatFaceJsonl)(selected, { landmarks: options.landmarks }));
    return [out];
  }
  const named = selected.flatMap((v) => v.series.map((s) => ({ name: s.role ? `${v.name}_${s.role}` : v.name, labels: labelsOf(s, options.fill) })));
  if (format === 'abaw-expr-single') {
    writeFileAtomic(out, formatAbawExprSingle(named));
    return [out];
  }
  const written: string[] = [];
  if (options.folder || videos.length > 1 || isFolder(out)) {
    mkdirSync(out, { recursive: true });
    for (const n of named) written.push(join(out, `${n.name}.txt`));
  } else {
    const stem = join(dirname(out), basename(out, extname(out)));
    const roles = selected[0].series.map((s) => s.role);
    for (const role of roles) written.push(role ? `${stem}_${role}.txt` : out);
  }
  named.forEach((n, i) => writeFileAtomic(written[i], formatAbawExpr(n.labels)));
  return written;
}
