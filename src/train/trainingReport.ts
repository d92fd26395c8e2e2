import { LSD_LABELS } from '../models/labels.js';
import type { TrainingReport } from './trainingContract.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** A line chart as inline SVG: one polyline per series, y from 0 to the largest value. */
function chart(title: string, series: { name: string; values: number[] }[]): string {
  const W = 420;
  const H = 200;
  const maxX = Math.max(1, ...series.map((s) => s.values.length - 1));
  const maxY = Math.max(1e-9, ...series.flatMap((s) => s.values));
  const colours = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  const lines = series.map((s, i) => {
    const pts = s.values
      .map((v, x) => `${(30 + (x / maxX) * (W - 40)).toFixed(1)},${(H - 20 - (v / maxY) * (H - 40)).toFixed(1)}`)
      .join(' ');
    return `<polyline fill="none" stroke="${colours[i % colours.length]}" stroke-width="1.5" points="${pts}"><title>${esc(s.name)}</title></polyline>`;
  });
  return `<figure><figcaption>${esc(title)} (max ${maxY.toFixed(3)})</figcaption><svg width="${W}" height="${H}" role="img"><rect x="30" y="20" width="${W - 40}" height="${H - 40}" fill="none" stroke="#ccc"/>${lines.join('')}</svg></figure>`;
}

function confusion(name: string, m: number[][]): string {
  const head = `<tr><th>truth \\ predicted</th>${LSD_LABELS.map((l) => `<th>${l}</th>`).join('')}</tr>`;
  const rows = m.map((row, i) => `<tr><th>${LSD_LABELS[i]}</th>${row.map((v) => `<td>${v}</td>`).join('')}</tr>`).join('');
  return `<h3>${esc(name)}</h3><table>${head}${rows}</table>`;
}

/** report.html: loss and validation-F1 curves per member, per-set results, confusion matrices. */
export function trainingReportHtml(r: TrainingReport): string {
  const results = Object.entries(r.results)
    .map(
      ([set, x]) =>
        `<tr><td>${esc(set)}</td><td>${x.pretrained.f1.toFixed(3)}</td><td>${x.bagged.f1.toFixed(3)}</td><td><b>${x.ensemble.f1.toFixed(3)}</b></td><td>${(100 * x.ensemble.acc).toFixed(1)}%</td></tr>`,
    )
    .join('');
  const members = r.members
    .map(
      (m) =>
        `<tr><td>${m.index + 1}</td><td>${m.features.join(' + ')}</td><td>${m.sampled}</td><td>${m.bestEpoch}</td><td>${m.seconds.toFixed(0)}</td>${Object.values(
          m.f1,
        )
          .map((v) => `<td>${v.toFixed(3)}</td>`)
          .join('')}</tr>`,
    )
    .join('');
  const sets = Object.keys(r.results);
  return `<!doctype html><meta charset="utf-8"><title>fer-stream training report</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}figure{display:inline-block;margin:0 1em 1em 0}</style>
<h1>Training report</h1>
<p>${r.members.length} members on ${r.trainFaces} faces (${esc(r.options.data)}), fraction ${r.options.fraction}, seed ${r.options.seed}, lambda ${r.options.lambda}, blend with the pretrained vote alpha ${r.alpha}. Features ${r.seconds.features.toFixed(0)} s, training ${r.seconds.training.toFixed(0)} s.</p>
<h2>Macro F1 (six classes)</h2><table><tr><th>set</th><th>pretrained vote</th><th>bagged heads</th><th>exported ensemble</th><th>accuracy</th></tr>${results}</table>
<h2>Members</h2><table><tr><th>#</th><th>features</th><th>faces sampled</th><th>best epoch</th><th>seconds</th>${sets.map((s) => `<th>F1 ${esc(s)}</th>`).join('')}</tr>${members}</table>
${chart(
  'training loss per epoch',
  r.members.map((m) => ({ name: `member ${m.index + 1}`, values: m.history.map((h) => h.loss) })),
)}
${chart(
  'validation macro F1 per epoch (early stopping set)',
  r.members.map((m) => ({ name: `member ${m.index + 1}`, values: m.history.map((h) => h.valF1) })),
)}
<h2>Confusion matrices of the exported ensemble</h2>${Object.entries(r.results)
    .map(([s, x]) => confusion(s, x.confusion))
    .join('')}
`;
}
