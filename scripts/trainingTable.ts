/**
 * The numbers of docs/training.md from training reports: per run, the bagged heads, the exported ensemble (heads
 * blended with the pretrained vote) and each member, macro F1 (six classes) on every validation set.
 *   node dist/scripts/trainingTable.js <out dir>...   (each a `fer-stream train --out`)
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { TrainingReport } from '../src/train/trainingContract.js';

const dirs = process.argv.slice(2);
const reports = dirs.map((d) => ({ name: basename(d), r: JSON.parse(readFileSync(join(d, 'report.json'), 'utf8')) as TrainingReport }));
const sets = Object.keys(reports[0].r.results);
console.log(`| run | what | ${sets.join(' | ')} | alpha (out-of-fold F1) | training s |`);
console.log(`|---|---|${sets.map(() => '---').join('|')}|---|---|`);
for (const { name, r } of reports) {
  const o = r.options;
  const what = `K=${o.members}, fraction ${o.fraction}, lambda ${o.lambda}, ${o.targets} targets, configs ${o.configs}`;
  const cell = (k: 'pretrained' | 'bagged' | 'ensemble') => sets.map((s) => `${r.results[s][k].f1.toFixed(3)}`).join(' | ');
  console.log(`| ${name} | pretrained vote | ${cell('pretrained')} | | |`);
  console.log(`| ${name} | ${what}: bagged heads | ${cell('bagged')} | | |`);
  console.log(
    `| ${name} | exported ensemble (heads + blend) | ${cell('ensemble')} | ${r.alpha} (${r.blendOutOfFold?.toFixed(3) ?? '-'}) | ${r.seconds.training.toFixed(0)} |`,
  );
  const per = sets.map((s) => r.members.map((m) => m.f1[s]));
  const mean = per.map((xs) => xs.reduce((a, b) => a + b, 0) / xs.length);
  const sd = per.map((xs, i) => Math.sqrt(xs.reduce((a, b) => a + (b - mean[i]) ** 2, 0) / xs.length));
  console.log(
    `| ${name} | members: mean ± sd [min, max] | ${sets.map((_, i) => `${mean[i].toFixed(3)} ± ${sd[i].toFixed(3)} [${Math.min(...per[i]).toFixed(3)}, ${Math.max(...per[i]).toFixed(3)}]`).join(' | ')} | | ${(r.members.reduce((a, m) => a + m.seconds, 0) / r.members.length).toFixed(0)} per member |`,
  );
}
