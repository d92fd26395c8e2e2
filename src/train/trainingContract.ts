import type { Device, Provider } from '../models/ort/device.js';
import type { EpochLog } from './headTrainer.js';

/** What `fer-stream train` takes, and what its report (report.json, report.html) says. */

export interface TrainOptions {
  data: string;
  /** Validation sets: early stopping on `val[earlyStop]`, the blend with the pretrained vote chosen on `val[blendOn]`. */
  val: string[];
  earlyStop: number;
  blendOn: number;
  members: number;
  /** Each member's sample: round(fraction x faces), drawn with replacement (`sampling: 'bootstrap'`). */
  fraction: number;
  /** `bootstrap`: each member draws its own sample with replacement (bagging); `all`: every face once, each member. */
  sampling: 'bootstrap' | 'all';
  seed: number;
  out: string;
  targets: 'soft' | 'hard';
  lambda: number;
  hidden: number;
  epochs: number;
  configs: 'cycle' | 'same';
  /** `jitter`: a third view of every training face, degraded (train/faceJitter.ts). */
  augment: 'none' | 'jitter';
  /** Blend weights of the pretrained vote to choose from; [0] keeps the heads alone. */
  alphas: number[];
  /**
   * A manifest whose members with `outputs.features` (user networks: e.g. an expression net's penultimate layer)
   * feed every head beside the trunk's features; the export is then a manifest of the trunk, those members
   * and the heads as a stacked member.
   */
  features?: string;
  /** Where the frozen branches run while features are extracted (`--device`); the heads train in TF.js. */
  device: Device;
  log: (line: string) => void;
  progress: (line: string) => void;
}

export interface MemberReport {
  index: number;
  features: string[];
  sampled: number;
  /** Distinct faces among them (a bootstrap of the full size holds about 63%). */
  distinct: number;
  bestEpoch: number;
  seconds: number;
  history: EpochLog[];
  /** Macro F1 (six classes) of this member alone on each validation set. */
  f1: Record<string, number>;
}

export interface TrainingReport {
  options: Omit<TrainOptions, 'log' | 'progress'> & { log?: undefined; progress?: undefined };
  trainFaces: number;
  skipped: Record<string, number>;
  classWeights: Record<string, number>;
  members: MemberReport[];
  alpha: number;
  /** Macro F1 on the blend set with alpha chosen on the other half of its people (two folds, averaged). */
  blendOutOfFold?: number;
  /** Per validation set: the bagged heads alone, the pretrained vote, and the exported blend; F1 and accuracy. */
  results: Record<
    string,
    {
      bagged: { f1: number; acc: number };
      pretrained: { f1: number; acc: number };
      ensemble: { f1: number; acc: number };
      confusion: number[][];
    }
  >;
  seconds: { features: number; training: number; total: number };
  /** The providers the branches ran on (none when every feature came from the cache). */
  providers: Provider[];
  /**
   * Added by `fit:fusion --write` (train:default and train:accurate run it after training): the fusion weights and
   * expression calibration chosen on the dev domains, with every row it printed, in-sample and out of fold by person.
   */
  fusion?: {
    objective: 'mean' | 'worst';
    weights: number[];
    expressionBias?: number[];
    estimates: { row: string; domains: Record<string, { faces: number; macroF1: number; interval: [number, number] }> }[];
  };
}
