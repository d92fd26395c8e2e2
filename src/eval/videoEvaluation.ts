import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { InputError } from '../util/inputError.js';
import { naturalCompare } from '../util/mediaNames.js';
import { isLabelHeader, readLabelTrack, type LabelTrack } from '../sinks/abawExpr.js';
import { classificationReport, type EvalReport } from './metrics.js';

export type { LabelTrack };

export interface VideoEvalRow {
  video: string;
  annotatedFrames: number;
  predictedFrames: number;
  /** Frames with a label other than -1, all of them scored (a frame the prediction lacks counts as wrong). */
  evaluated: number;
  accuracy: number;
  macroF1: number;
  /** Set when the prediction's length is not the annotation's: never cut silently. */
  lengthMismatch?: string;
}

export interface VideoEvalResult {
  report: EvalReport;
  videos: VideoEvalRow[];
  /** Annotated videos without any prediction (every labelled frame counted wrong). */
  missingVideos: string[];
  /** Predicted videos with no annotation (not scored). */
  unannotatedVideos: string[];
}

/** True when `path` is a folder of ABAW-style per-video annotation files (a class-name header, then labels). */
export function isAbawAnnotationFolder(path: string): boolean {
  try {
    if (!statSync(path).isDirectory()) return false;
    const txt = readdirSync(path).filter((f) => extname(f).toLowerCase() === '.txt');
    return txt.length > 0 && isLabelHeader(readFileSync(join(path, txt[0]), 'utf8').split(/\r?\n/)[0]);
  } catch {
    return false;
  }
}

/** A folder of `<video>.txt` files (annotations or abaw-expr predictions), by video name. */
export function readTrackFolder(folder: string): Map<string, LabelTrack> {
  const files = readdirSync(folder)
    .filter((f) => extname(f).toLowerCase() === '.txt')
    .sort(naturalCompare);
  if (!files.length) throw new InputError(`${folder}: no .txt files`);
  return new Map(files.map((f) => [basename(f, extname(f)), readLabelTrack(join(folder, f))]));
}

/** ABAW's single file: `image_location,<classes>`, then `<video>/<NNNNN>.jpg,<label>` (frames from 1). */
export function readAbawSingleFile(file: string): Map<string, LabelTrack> {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const header = lines[0].split(',').map((c) => c.trim());
  if (header[0] !== 'image_location')
    throw new InputError(`${file}: not an ABAW single file (the first line must start with image_location)`);
  const classes = header.slice(1);
  const videos = new Map<string, LabelTrack>();
  lines.slice(1).forEach((line, i) => {
    if (!line.trim()) return;
    const m = /^(.+)\/(\d+)\.\w+,(-?\d+)$/.exec(line.trim());
    if (!m) throw new InputError(`${file}:${i + 2}: expected "<video>/<frame>.jpg,<label>", got "${line}"`);
    const track = videos.get(m[1]) ?? { classes, labels: [] };
    videos.set(m[1], track);
    const frame = Number(m[2]) - 1;
    while (track.labels.length < frame) track.labels.push(-1);
    track.labels[frame] = Number(m[3]);
  });
  return videos;
}

/** Predictions from a folder of per-video files or the single file. */
export function readVideoPredictions(path: string): Map<string, LabelTrack> {
  return statSync(path).isDirectory() ? readTrackFolder(path) : readAbawSingleFile(path);
}

/**
 * Scores per-frame predictions against ABAW expression annotations: macro F1 over the annotation's classes
 * (8 with Other since ABAW3, 7 before), frames labelled -1 left out. Predicted classes are matched to the
 * annotation's by name. A missing video, or frames beyond a short prediction, count as wrong and are reported.
 */
export function evaluateVideoPredictions(predictions: Map<string, LabelTrack>, annotations: Map<string, LabelTrack>): VideoEvalResult {
  const classes = [...annotations.values()][0].classes;
  for (const [video, a] of annotations) {
    if (a.classes.join(',') !== classes.join(','))
      throw new InputError(`annotation ${video}: classes ${a.classes.join(',')} differ from ${classes.join(',')}`);
  }
  const index = new Map(classes.map((c, i) => [c.toLowerCase(), i]));
  const truth: number[] = [];
  const predicted: number[] = [];
  const rows: VideoEvalRow[] = [];
  const missingVideos: string[] = [];
  for (const [video, a] of [...annotations].sort((x, y) => naturalCompare(x[0], y[0]))) {
    const p = predictions.get(video);
    if (!p) missingVideos.push(video);
    const mapped = p ? p.labels.map((l) => (l < 0 ? -1 : (index.get(p.classes[l]?.toLowerCase()) ?? -1))) : [];
    const t: number[] = [];
    const q: number[] = [];
    a.labels.forEach((label, f) => {
      if (label < 0) return;
      t.push(label);
      q.push(mapped[f] ?? -1);
    });
    truth.push(...t);
    predicted.push(...q);
    const r = classificationReport(classes, t, q);
    const predictedFrames = p ? p.labels.length : 0;
    rows.push({
      video,
      annotatedFrames: a.labels.length,
      predictedFrames,
      evaluated: t.length,
      accuracy: r.accuracy,
      macroF1: r.macroF1,
      lengthMismatch:
        p && predictedFrames !== a.labels.length ? `${predictedFrames} predicted vs ${a.labels.length} annotated frames` : undefined,
    });
  }
  const unannotatedVideos = [...predictions.keys()].filter((v) => !annotations.has(v)).sort(naturalCompare);
  if (!truth.length) throw new InputError('no annotated frame (every label is -1)');
  return { report: classificationReport(classes, truth, predicted), videos: rows, missingVideos, unannotatedVideos };
}
