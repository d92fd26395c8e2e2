import { mkdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { FrameRecord } from '../pipeline/faceRecords.js';
import type { FaceMode } from '../pipeline/selectFaces.js';
import type { ReportedFace } from '../pipeline/videoJob.js';
import { writeOutput } from '../util/atomicFile.js';
import type { InputFiles } from '../util/outputSafety.js';
import { abawExpressionIndex, formatAbawExpr, formatAbawExprSingle } from './abawExpr.js';
import { formatFaceCsv, formatFaceJsonl } from './faceTable.js';

export const VIDEO_FORMATS = ['abaw-expr', 'abaw-expr-single', 'csv', 'jsonl'] as const;
export type VideoFormat = (typeof VIDEO_FORMATS)[number];

/** `.txt` -> abaw-expr, `.csv` -> csv, `.jsonl`/`.ndjson` -> jsonl; anything else (a folder) -> abaw-expr. */
export function videoFormatFor(out: string): VideoFormat {
  const ext = extname(out).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : 'abaw-expr';
}

/** A scored video as its outputs take it (see pipeline/videoJob.ts: the faces are chosen and filled there). */
export interface ScoredVideoFrames {
  /** The video's name in outputs: its file name without extension. */
  name: string;
  frames: FrameRecord[];
  reported: ReportedFace[];
}

export interface VideoOutputOptions {
  /** abaw-expr: `--out` is a folder (a folder of videos was scored), even for one video. */
  folder?: boolean;
  landmarks: boolean;
  /** The run's inputs: no output may be one of them (checked for every file before the first is written). */
  inputs?: InputFiles;
}

export const videoName = (path: string) => basename(path, extname(path));

const isFolder = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return /[\\/]$/.test(p);
  }
};

const writesToFolder = (out: string, videoCount: number, folder?: boolean) => Boolean(folder) || videoCount > 1 || isFolder(out);

/** abaw-expr: where the file of one face (`role`: '', `left`, `track3`) of a video goes. */
function abawExprPath(out: string, toFolder: boolean, video: string, role: string): string {
  if (toFolder) return join(out, `${role ? `${video}_${role}` : video}.txt`);
  return role ? `${join(dirname(out), basename(out, extname(out)))}_${role}.txt` : out;
}

/**
 * The files an output will be, as far as they are known before scoring (per-track files are named by the
 * tracks): for checking them against the inputs before any work.
 */
export function plannedVideoOutputs(out: string, format: VideoFormat, videoPaths: string[], faces: FaceMode, folder?: boolean): string[] {
  if (format !== 'abaw-expr') return [out];
  const toFolder = writesToFolder(out, videoPaths.length, folder);
  const roles = faces === 'left-right' ? ['left', 'right'] : faces === 'main' ? [''] : [];
  return videoPaths.flatMap((p) => roles.map((role) => abawExprPath(out, toFolder, videoName(p), role)));
}

/**
 * Writes the outputs of scored videos, each file atomically. abaw-expr writes one `.txt` per reported face:
 * to `--out` itself for one video and one face, else `<stem>_<role>.txt` beside it, or
 * `<folder>/<video>[_<role>].txt` when `--out` is a folder (always, for several videos).
 * The other formats write one file for all videos. Returns the files written.
 */
export function writeVideoOutputs(out: string, format: VideoFormat, videos: ScoredVideoFrames[], options: VideoOutputOptions): string[] {
  const selected = videos.map((v) => ({ name: v.name, frames: v.frames, series: v.reported }));
  mkdirSync(dirname(out), { recursive: true }); // the folder the output goes in; a missing one is made
  const write = (path: string, text: string) => writeOutput(path, text, `--out ${path}`);
  if (format === 'csv' || format === 'jsonl') {
    options.inputs?.refuseOverwrite([out]);
    write(out, (format === 'csv' ? formatFaceCsv : formatFaceJsonl)(selected, { landmarks: options.landmarks }));
    return [out];
  }
  const named = selected.flatMap((v) =>
    v.series.map((s) => ({ name: s.role ? `${v.name}_${s.role}` : v.name, labels: s.probs.map(abawExpressionIndex) })),
  );
  if (format === 'abaw-expr-single') {
    options.inputs?.refuseOverwrite([out]);
    write(out, formatAbawExprSingle(named));
    return [out];
  }
  const toFolder = writesToFolder(out, videos.length, options.folder);
  const written = selected.flatMap((v) => v.series.map((s) => abawExprPath(out, toFolder, v.name, s.role)));
  if (toFolder) mkdirSync(out, { recursive: true });
  // Track files are named only now (`_track<id>`): none may be an input either.
  options.inputs?.refuseOverwrite(written);
  named.forEach((n, i) => write(written[i], formatAbawExpr(n.labels)));
  return written;
}
