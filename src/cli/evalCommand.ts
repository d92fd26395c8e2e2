import { evaluatePredictions, readGroundTruth, readPredictions } from '../eval/evaluatePredictions.js';
import { formatReport } from '../eval/metrics.js';
import { evaluateVideoPredictions, isAbawAnnotationFolder, readTrackFolder, readVideoPredictions } from '../eval/videoEvaluation.js';
import { parseOptions, UsageError } from './parseOptions.js';

/** fer-stream eval: predictions against labels (face crops, or ABAW video annotations). */
export function evaluate(argv: string[]): void {
  const values = parseOptions(argv, { pred: { type: 'string' }, labels: { type: 'string' }, json: { type: 'boolean', default: false } });
  if (!values.pred || !values.labels) throw new UsageError('eval needs --pred <file> and --labels <folder | file>');
  if (isAbawAnnotationFolder(values.labels)) return evaluateVideos(values.pred, values.labels, values.json);
  const result = evaluatePredictions(readPredictions(values.pred), readGroundTruth(values.labels));
  if (values.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const notes = [];
  const skipped = Object.entries(result.skipped);
  if (skipped.length) {
    const total = skipped.reduce((a, [, n]) => a + n, 0);
    notes.push(`left out ${total} ground-truth image(s) outside the six classes: ${skipped.map(([l, n]) => `${l} ${n}`).join(', ')}`);
  }
  if (result.matchedByBasename) notes.push(`matched ${result.matchedByBasename} prediction(s) by file name only`);
  if (result.unmatchedPredictions) notes.push(`${result.unmatchedPredictions} prediction(s) have no ground truth`);
  process.stdout.write(formatReport(result.report, notes) + '\n');
}

/** ABAW expression annotations (a folder of per-video files) against per-video predictions or the single file. */
function evaluateVideos(pred: string, labels: string, json: boolean): void {
  const result = evaluateVideoPredictions(readVideoPredictions(pred), readTrackFolder(labels));
  if (json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const notes = [];
  if (result.missingVideos.length)
    notes.push(`no prediction for ${result.missingVideos.length} video(s), their frames counted wrong: ${result.missingVideos.join(', ')}`);
  const mismatched = result.videos.filter((v) => v.lengthMismatch);
  if (mismatched.length)
    notes.push(
      `length differs in ${mismatched.length} video(s) (missing frames counted wrong, extra ones ignored): ${mismatched.map((v) => `${v.video} ${v.lengthMismatch}`).join('; ')}`,
    );
  if (result.unannotatedVideos.length)
    notes.push(`${result.unannotatedVideos.length} predicted video(s) have no annotation: ${result.unannotatedVideos.join(', ')}`);
  const w = Math.max(5, ...result.videos.map((v) => v.video.length));
  const table = [
    '',
    `${'video'.padEnd(w)}  frames  scored  accuracy  macro F1`,
    ...result.videos.map(
      (v) =>
        `${v.video.padEnd(w)}  ${String(v.annotatedFrames).padStart(6)}  ${String(v.evaluated).padStart(6)}  ${(100 * v.accuracy).toFixed(2).padStart(7)}%  ${v.macroF1.toFixed(4).padStart(8)}${v.lengthMismatch ? `  (${v.lengthMismatch})` : ''}`,
    ),
  ];
  process.stdout.write(formatReport(result.report, notes, 'frames') + '\n' + table.join('\n') + '\n');
}
