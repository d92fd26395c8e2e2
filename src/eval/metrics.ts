/** Classification metrics as ABAW4 LSD scores them: one-vs-rest F1 per class, averaged (macro). */
export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface EvalReport {
  labels: string[];
  macroF1: number;
  accuracy: number;
  perClass: ClassMetrics[];
  /** confusion[truth][predicted]; a missing prediction counts for no predicted class. */
  confusion: number[][];
  evaluated: number;
  missingPredictions: number;
}

/** `truth` and `predicted` hold class indices; -1 in `predicted` is a missing prediction (always wrong). */
export function classificationReport(labels: string[], truth: number[], predicted: number[]): EvalReport {
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  let missing = 0;
  truth.forEach((t, i) => {
    const p = predicted[i];
    if (p < 0) missing++;
    else confusion[t][p]++;
    if (p === t) correct++;
  });
  const perClass = labels.map((label, c) => {
    const tp = confusion[c][c];
    const predictedC = confusion.reduce((s, row) => s + row[c], 0);
    const support = truth.filter((t) => t === c).length;
    const precision = predictedC ? tp / predictedC : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  return {
    labels,
    macroF1: perClass.reduce((s, c) => s + c.f1, 0) / k,
    accuracy: truth.length ? correct / truth.length : 0,
    perClass,
    confusion,
    evaluated: truth.length,
    missingPredictions: missing,
  };
}

export function formatReport(r: EvalReport, notes: string[] = [], unit = 'images'): string {
  const pct = (v: number) => (100 * v).toFixed(2);
  const w = Math.max(...r.labels.map((l) => l.length), 9);
  const lines = [
    `macro F1: ${r.macroF1.toFixed(4)}   accuracy: ${pct(r.accuracy)}%   ${unit}: ${r.evaluated}${r.missingPredictions ? `   missing predictions: ${r.missingPredictions}` : ''}`,
    ...notes,
    '',
    `${'class'.padEnd(w)}  precision  recall     F1  support`,
    ...r.perClass.map(
      (c) =>
        `${c.label.padEnd(w)}  ${c.precision.toFixed(4).padStart(9)}  ${c.recall.toFixed(4).padStart(6)}  ${c.f1.toFixed(4).padStart(5)}  ${String(c.support).padStart(7)}`,
    ),
    '',
    'confusion (rows = truth, columns = predicted)',
    `${''.padEnd(w)} ${r.labels.map((l) => l.slice(0, 8).padStart(8)).join(' ')}`,
    ...r.confusion.map((row, i) => `${r.labels[i].padEnd(w)} ${row.map((v) => String(v).padStart(8)).join(' ')}`),
  ];
  return lines.join('\n');
}
