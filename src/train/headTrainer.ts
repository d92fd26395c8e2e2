import { CANONICAL_LABELS, LSD_INDICES, LSD_LABELS, lsdIndex } from '../models/labels.js';
import { classificationReport, type EvalReport } from '../eval/metrics.js';
import type { HeadWeights } from '../models/import/baggedEnsembleGraph.js';
import { seededRandom } from '../util/seededRandom.js';
import { tfjs } from './tfjsRuntime.js';

/** Rows of a design matrix: features, soft targets over CANONICAL_LABELS, landmark targets, majority labels. */
export interface Rows {
  count: number;
  width: number;
  x: Float32Array;
  targets: Float32Array;
  landmarks: Float32Array;
  labels: Int32Array;
}

export interface HeadOptions {
  hidden: number;
  /** Weight of the landmark MSE beside the expression cross-entropy (0: single-task). */
  lambda: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  dropout: number;
  /** Epochs without a better validation macro F1 before stopping. */
  patience: number;
  seed: number;
  /** Per class (CANONICAL_LABELS) loss weights. */
  classWeights: Float64Array;
  onEpoch?: (log: EpochLog) => void;
}

export interface EpochLog {
  epoch: number;
  loss: number;
  valF1: number;
}

const CLASSES = CANONICAL_LABELS.length;

/** The six scored classes' truth and prediction (LSD_LABELS indexes), faces labelled neutral left out. */
export function lsdPairs(probs: Float32Array, labels: Int32Array): { truth: number[]; pred: number[] } {
  const truth: number[] = [];
  const pred: number[] = [];
  labels.forEach((l, i) => {
    const k = LSD_INDICES.indexOf(l);
    if (k < 0) return; // neutral is not one of the six scored classes
    truth.push(k);
    pred.push(lsdIndex(probs, i * CLASSES));
  });
  return { truth, pred };
}

/** The six-class report of probabilities over CANONICAL_LABELS against labels (CANONICAL_LABELS indexes). */
export function lsdReport(probs: Float32Array, labels: Int32Array): EvalReport {
  const { truth, pred } = lsdPairs(probs, labels);
  return classificationReport([...LSD_LABELS], truth, pred);
}

export const lsdMacroF1 = (probs: Float32Array, labels: Int32Array): number => lsdReport(probs, labels).macroF1;

/**
 * Trains one member's head: standardised features -> shared fully connected layer (ReLU, dropout) -> expression
 * logits (weighted soft cross-entropy) and 68 landmarks (MSE), loss = CE + lambda * MSE, mini-batch Adam.
 * Keeps the epoch with the best validation macro F1 (six classes) and stops after `patience` epochs without one.
 */
export async function trainHead(
  train: Rows,
  val: Rows,
  o: HeadOptions,
): Promise<{ weights: HeadWeights; history: EpochLog[]; bestEpoch: number }> {
  const tf = await tfjs();
  const random = seededRandom(o.seed);
  const d = train.width;
  const mean = new Float32Array(d);
  const std = new Float32Array(d);
  for (let i = 0; i < train.count; i++) for (let j = 0; j < d; j++) mean[j] += train.x[i * d + j] / train.count;
  for (let i = 0; i < train.count; i++) for (let j = 0; j < d; j++) std[j] += (train.x[i * d + j] - mean[j]) ** 2 / train.count;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]) + 1e-6;
  const standardise = (rows: Rows) => {
    const out = new Float32Array(rows.x.length);
    for (let i = 0; i < rows.count; i++) for (let j = 0; j < d; j++) out[i * d + j] = (rows.x[i * d + j] - mean[j]) / std[j];
    return out;
  };
  const xTrain = standardise(train);
  const xVal = tf.tensor2d(standardise(val), [val.count, d]);
  const init = (rows: number, cols: number) => {
    const a = new Float32Array(rows * cols);
    const scale = Math.sqrt(2 / rows); // He initialisation, from the seeded generator
    for (let i = 0; i < a.length; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - random()));
      const t = 2 * Math.PI * random();
      a[i] = r * Math.cos(t) * scale;
      if (i + 1 < a.length) a[i + 1] = r * Math.sin(t) * scale;
    }
    return tf.variable(tf.tensor2d(a, [rows, cols]));
  };
  const h = o.hidden;
  const vars = {
    w1: init(d, h),
    b1: tf.variable(tf.zeros([h])),
    we: init(h, CLASSES),
    be: tf.variable(tf.zeros([CLASSES])),
    wl: init(h, 136),
    bl: tf.variable(tf.zeros([136])),
  };
  const optimizer = tf.train.adam(o.learningRate);
  const classWeights = tf.tensor1d(Float32Array.from(o.classWeights));
  const forward = (x: import('@tensorflow/tfjs').Tensor2D, training: boolean, dropSeed = 0) => {
    let hidden = tf.relu(tf.add(tf.matMul(x, vars.w1), vars.b1));
    if (training && o.dropout > 0) hidden = tf.dropout(hidden, o.dropout, undefined, dropSeed);
    return { logits: tf.add(tf.matMul(hidden, vars.we), vars.be), landmarks: tf.add(tf.matMul(hidden, vars.wl), vars.bl) };
  };
  const snapshot = (): HeadWeights => ({
    hidden: h,
    mean,
    std,
    w1: Float32Array.from(vars.w1.dataSync()),
    b1: Float32Array.from(vars.b1.dataSync()),
    we: Float32Array.from(vars.we.dataSync()),
    be: Float32Array.from(vars.be.dataSync()),
    wl: Float32Array.from(vars.wl.dataSync()),
    bl: Float32Array.from(vars.bl.dataSync()),
  });

  const order = Array.from({ length: train.count }, (_, i) => i);
  const history: EpochLog[] = [];
  let best = { f1: -1, epoch: 0, weights: snapshot() };
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < order.length; start += o.batchSize) {
      const idx = order.slice(start, start + o.batchSize);
      const n = idx.length;
      const xb = new Float32Array(n * d);
      const tb = new Float32Array(n * CLASSES);
      const lb = new Float32Array(n * 136);
      const wb = new Float32Array(n);
      idx.forEach((r, k) => {
        xb.set(xTrain.subarray(r * d, (r + 1) * d), k * d);
        tb.set(train.targets.subarray(r * CLASSES, (r + 1) * CLASSES), k * CLASSES);
        lb.set(train.landmarks.subarray(r * 136, (r + 1) * 136), k * 136);
        wb[k] = o.classWeights[train.labels[r]];
      });
      const dropSeed = Math.floor(random() * 2 ** 31);
      const loss = tf.tidy(
        () =>
          optimizer.minimize(() => {
            const out = forward(tf.tensor2d(xb, [n, d]), true, dropSeed);
            const ce = tf.neg(tf.sum(tf.mul(tf.tensor2d(tb, [n, CLASSES]), tf.logSoftmax(out.logits)), 1));
            const weighted = tf.div(tf.sum(tf.mul(ce, tf.tensor1d(wb))), tf.sum(tf.tensor1d(wb)));
            const mse = tf.mean(tf.square(tf.sub(out.landmarks, tf.tensor2d(lb, [n, 136]))));
            return tf.add(weighted, tf.mul(mse, o.lambda)) as import('@tensorflow/tfjs').Scalar;
          }, true) as import('@tensorflow/tfjs').Scalar,
      );
      const value = loss.dataSync()[0];
      loss.dispose();
      // A non-finite loss has already spread into every weight: stop rather than export a broken head.
      if (!Number.isFinite(value))
        throw new Error(
          `training diverged: the loss became ${value} in epoch ${epoch} (batch ${batches + 1}); check the labels for rows without a target, or lower the learning rate`,
        );
      lossSum += value;
      batches++;
    }
    const valProbs = tf.tidy(() => tf.softmax(forward(xVal, false).logits).dataSync() as Float32Array);
    const valF1 = lsdMacroF1(valProbs, val.labels);
    const log = { epoch, loss: lossSum / batches, valF1 };
    history.push(log);
    o.onEpoch?.(log);
    if (valF1 > best.f1) best = { f1: valF1, epoch, weights: snapshot() };
    else if (epoch - best.epoch >= o.patience) break;
  }
  xVal.dispose();
  classWeights.dispose();
  for (const v of Object.values(vars)) v.dispose();
  optimizer.dispose();
  return { weights: best.weights, history, bestEpoch: best.epoch };
}

/** Expression probabilities (over CANONICAL_LABELS) of a head on raw (unstandardised) feature rows. */
export async function headProbs(w: HeadWeights, x: Float32Array, count: number): Promise<Float32Array> {
  const tf = await tfjs();
  const d = w.mean.length;
  return tf.tidy(() => {
    const xs = tf.div(tf.sub(tf.tensor2d(x, [count, d]), tf.tensor1d(w.mean)), tf.tensor1d(w.std));
    const hidden = tf.relu(tf.add(tf.matMul(xs, tf.tensor2d(w.w1, [d, w.hidden])), tf.tensor1d(w.b1)));
    return tf.softmax(tf.add(tf.matMul(hidden, tf.tensor2d(w.we, [w.hidden, CLASSES])), tf.tensor1d(w.be))).dataSync() as Float32Array;
  });
}
