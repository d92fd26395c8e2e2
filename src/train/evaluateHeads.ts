import { bootstrapMacroF1Difference, formatMacroF1, macroF1Summary, type MacroF1Summary } from '../eval/bootstrap.js';
import { FEATURE_SETS, fusedExpressions, pretrainedVote, readHeads, meanOfHeads } from '../models/import/baggedEnsembleGraph.js';
import { LSD_LABELS } from '../models/labels.js';
import type { Device } from '../models/ort/device.js';
import type { InferencePool } from '../models/ort/inferencePool.js';
import { lsdPairs } from './headTrainer.js';
import { labelsOf, loadView, openFeatureSources, probsOn, type SetData } from './setFeatures.js';
import { readTrainingSet } from './trainingSet.js';

/** One row of the table: a member, the heads' vote, the pretrained vote or the exported blend, on one set. */
export interface HeadsScore {
  set: string;
  /** Faces of the six scored classes (neutral-labelled faces are left out). */
  faces: number;
  model: string;
  summary: MacroF1Summary;
  /** LSD_LABELS indexes per scored face, for paired comparisons. */
  truth: number[];
  pred: number[];
}

/**
 * Scores trained heads (`heads.json` + `.bin`, as `fer-stream train` writes them and config/*-heads holds) on
 * labelled sets: each member alone, the members' soft vote, the pretrained members' vote and the blend the
 * exported graph computes, from the same cached features that training used. What the bag is worth against its
 * own members on sets where none of them chose an epoch.
 */
export async function evaluateHeads(
  pool: InferencePool,
  headsJson: string,
  sets: { name: string; dir: string }[],
  o: { features?: string; device?: Device; progress?: (line: string) => void } = {},
): Promise<HeadsScore[]> {
  const heads = readHeads(headsJson);
  const sources = await openFeatureSources(pool, o.features, o.device ?? 'cpu');
  const known = new Set<string>([...FEATURE_SETS, ...sources.extra.map((m) => m.name)]);
  const missing = heads.members.flatMap((m) => m.features).find((f) => !known.has(f));
  if (missing)
    throw new RangeError(
      `${headsJson}: its heads read the feature set "${missing}", which neither the trunk nor ${o.features ?? 'a --features manifest'} gives`,
    );
  const out: HeadsScore[] = [];
  for (const { name, dir } of sets) {
    const read = readTrainingSet(dir, 'hard');
    const plain = await loadView(
      pool,
      sources,
      read.faces,
      'plain',
      (what) => (n) => o.progress?.(`features ${name}${what}: ${n}/${read.faces.length}`),
    );
    const set: SetData = { name, faces: read.faces, plain, views: [plain] };
    const labels = labelsOf(set);
    const members = await Promise.all(heads.members.map((m) => probsOn(m.weights, set, m.features)));
    const bagged = meanOfHeads(members);
    const pretrained = pretrainedVote(plain.faceApiProbs, plain.humanProbs, plain.count);
    // What the shipped graph computes: the heads file's fusion (training's alpha until fit:fusion chose one) and
    // its expression calibration, if any.
    const ensemble = fusedExpressions(bagged, plain.faceApiProbs, plain.humanProbs, plain.count, heads.fusion, heads.bias);
    const score = (model: string, probs: Float32Array) => {
      const { truth, pred } = lsdPairs(probs, labels);
      out.push({ set: name, faces: truth.length, model, summary: macroF1Summary([...LSD_LABELS], truth, pred), truth, pred });
    };
    members.forEach((p, k) => score(`member ${k + 1} (${heads.members[k].features.join('+')})`, p));
    score('bagged heads (soft vote)', bagged);
    score('pretrained vote (face-api + human)', pretrained);
    const calibrated = heads.bias.some((v) => v !== 0) ? ', expression calibration' : '';
    score(`ensemble (fusion ${heads.fusion.map((w) => w.toFixed(2)).join(' / ')}${calibrated})`, ensemble);
  }
  return out;
}

/** The scores as a markdown table per set, members' F1 range last: what scripts/evalMembers.ts prints. */
export function formatHeadsScores(scores: HeadsScore[]): string {
  const lines: string[] = [];
  for (const set of [...new Set(scores.map((s) => s.set))]) {
    const rows = scores.filter((s) => s.set === set);
    lines.push(`\n${set} (${rows[0].faces} faces of the six classes)`, '', '| model | macro F1 [95% bootstrap] / accuracy |', '|---|---|');
    for (const r of rows) lines.push(`| ${r.model} | ${formatMacroF1(r.summary)} |`);
    const members = rows.filter((r) => r.model.startsWith('member '));
    const ensemble = rows[rows.length - 1];
    const best = members.reduce((a, m) => (m.summary.f1 > a.summary.f1 ? m : a));
    const [lo, hi] = bootstrapMacroF1Difference([...LSD_LABELS], ensemble.truth, ensemble.pred, best.pred);
    const d = ensemble.summary.f1 - best.summary.f1;
    const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
    lines.push(
      '',
      `members ${Math.min(...members.map((m) => m.summary.f1)).toFixed(3)}-${best.summary.f1.toFixed(3)}; ensemble minus its best trained member (${best.model.replace(/ \(.*/, '')}, the best on this very set): ${signed(d)} [${signed(lo)}, ${signed(hi)}] (95% paired bootstrap)`,
    );
  }
  return lines.join('\n');
}
