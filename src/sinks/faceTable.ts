import { CANONICAL_LABELS } from '../models/labels.js';
import type { FaceRecord, FrameRecord } from '../pipeline/faceRecords.js';
import type { FaceSeries } from '../pipeline/selectFaces.js';
import { abawExpressionIndex } from './abawExpr.js';
import { csvField } from './csvField.js';

/** One scored video as the table sinks see it: its name, frames and the faces chosen for output. */
export interface VideoTable {
  name: string;
  frames: FrameRecord[];
  series: FaceSeries[];
}

export interface TableOptions {
  /** Add the 68 landmarks (frame pixels) to each face row. */
  landmarks?: boolean;
}

/** Per frame, the chosen faces with their role; a frame none of whose chosen faces is present yields no face. */
function* rows(video: VideoTable): Generator<{ frame: FrameRecord; role: string; face?: FaceRecord }> {
  for (const [i, frame] of video.frames.entries()) {
    const present = video.series.flatMap((s) => (s.faces[i] ? [{ role: s.role, face: s.faces[i]! }] : []));
    if (present.length === 0) yield { frame, role: '' };
    for (const p of present) yield { frame, ...p };
  }
}

const fixed = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '');

/** One row per face per frame, plus one for each frame without a face (`expression` -1, face columns empty). */
export function formatFaceCsv(videos: VideoTable[], options: TableOptions = {}): string {
  const lmCols = options.landmarks ? Array.from({ length: 68 }, (_, i) => [`lm_x${i}`, `lm_y${i}`]).flat() : [];
  const header = [
    'video',
    'frame',
    'pts_ms',
    'role',
    'track_id',
    'source',
    'x',
    'y',
    'w',
    'h',
    'detector_score',
    'roll_deg',
    'label',
    'expression',
    ...CANONICAL_LABELS.map((l) => `p_${l}`),
    ...lmCols,
  ];
  const lines = [header.join(',')];
  for (const video of videos) {
    for (const { frame, role, face } of rows(video)) {
      const head = [csvField(video.name), String(frame.frameIndex), fixed(frame.ptsMs, 3), role];
      if (!face) {
        lines.push(
          [...head, '', '', '', '', '', '', '', '', 'no_face', '-1', ...CANONICAL_LABELS.map(() => ''), ...lmCols.map(() => '')].join(','),
        );
        continue;
      }
      const expression = abawExpressionIndex(face.probs);
      lines.push(
        [
          ...head,
          String(face.trackId),
          face.source,
          ...[face.box.x, face.box.y, face.box.width, face.box.height].map((v) => fixed(v, 1)),
          fixed(face.detectorScore, 4),
          fixed((face.angle * 180) / Math.PI, 1),
          CANONICAL_LABELS[expression],
          String(expression),
          ...Array.from(face.probs, (p) => fixed(p, 6)),
          ...(options.landmarks ? Array.from({ length: 136 }, (_, k) => (face.landmarks ? fixed(face.landmarks[k], 1) : '')) : []),
        ].join(','),
      );
    }
  }
  return lines.join('\n') + '\n';
}

/** The same rows as JSON lines; a frame without a face has `"face": null` and `"expression": -1`. */
export function formatFaceJsonl(videos: VideoTable[], options: TableOptions = {}): string {
  const lines: string[] = [];
  const round = (v: number, d: number) => (Number.isFinite(v) ? Number(v.toFixed(d)) : null);
  for (const video of videos) {
    for (const { frame, role, face } of rows(video)) {
      const base = { video: video.name, frame: frame.frameIndex, ptsMs: round(frame.ptsMs, 3) };
      if (!face) {
        lines.push(JSON.stringify({ ...base, face: null, label: 'no_face', expression: -1 }));
        continue;
      }
      const expression = abawExpressionIndex(face.probs);
      const marks =
        options.landmarks && face.landmarks
          ? Array.from({ length: 68 }, (_, k) => [round(face.landmarks![2 * k], 1), round(face.landmarks![2 * k + 1], 1)])
          : undefined;
      lines.push(
        JSON.stringify({
          ...base,
          face: {
            role: role || undefined,
            trackId: face.trackId,
            source: face.source,
            box: { x: round(face.box.x, 1), y: round(face.box.y, 1), width: round(face.box.width, 1), height: round(face.box.height, 1) },
            detectorScore: round(face.detectorScore, 4),
            rollDeg: round((face.angle * 180) / Math.PI, 1),
            landmarks: marks,
          },
          label: CANONICAL_LABELS[expression],
          expression,
          probs: Object.fromEntries(CANONICAL_LABELS.map((l, k) => [l, round(face.probs[k], 6)])),
        }),
      );
    }
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}
