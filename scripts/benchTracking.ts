/**
 * Tracking measured against ground truth: IDF1, ID switches, MOTA and track counts on synthetic clips with
 * known identities (scripts/trackingClips.ts, made once into .cache/tracking-clips), and track counts and
 * speed on the shared real videos, for the detector every 10 frames (default) and every frame.
 * Seeds 1-4 are the clips the tracker was tuned on, 5 and up were held out (docs/tracking.md); each group's IDF1
 * is printed under the table.
 * Real composites (scripts/realCompositeClips.ts: real single-person videos, two to four on one canvas) are
 * a second group, none of them used to choose anything.
 *   npm run bench:tracking [-- --seeds 1,...,12] [--composites 1,...,6] [--detect-every 10,1] [--reid off,within-shots,across-cuts]
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { TinyFaceDetector } from '../src/detection/tinyFaceDetector.js';
import { trackingScores, type TrackedBox } from '../src/eval/trackingMetrics.js';
import { DEFAULT_MANIFEST } from '../src/models/defaultManifest.js';
import { Ensemble } from '../src/models/ensemble.js';
import { FaceDescriber } from '../src/models/faceDescriber.js';
import { loadManifest } from '../src/models/manifest.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { RAW_FRAMES, runVideoJob } from '../src/pipeline/videoJob.js';
import type { ReidMode } from '../src/pipeline/videoFaceLabeler.js';
import { iou as iouOf } from '../src/image/rgbImage.js';
import { PACKAGE_ROOT, SHARED_DATA } from '../src/util/paths.js';
import { makeRealComposite } from './realCompositeClips.js';
import { makeTrackingClips, type ClipTruth } from './trackingClips.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3,4,5,6,7,8,9,10,11,12' },
    'detect-every': { type: 'string', default: '10,1' },
    reid: { type: 'string', default: 'off,within-shots,across-cuts' },
    'reid-distance': { type: 'string' },
    composites: { type: 'string', default: '1,2,3,4,5,6' },
  },
});
const seeds = values.seeds!.split(',').map(Number);
const reidModes = values.reid!.split(',') as ReidMode[];
const pool = new InferencePool({ workers: 2 });
const ensemble = await Ensemble.load(loadManifest(DEFAULT_MANIFEST), pool, 'cpu');
const detector = await TinyFaceDetector.load(pool, 'cpu', { inputSize: [608, 320] });
const describer = await FaceDescriber.load(pool, 'cpu');
const reidentify = (mode: ReidMode) =>
  mode === 'off'
    ? undefined
    : { describer, acrossCuts: mode === 'across-cuts', maxDistance: values['reid-distance'] ? Number(values['reid-distance']) : undefined };

const dir = join(PACKAGE_ROOT, '.cache', 'tracking-clips');
const clips = seeds.every((s) => existsSync(join(dir, `clip${s}.json`)))
  ? seeds.map((s) => ({ video: join(dir, `clip${s}.mp4`), truth: join(dir, `clip${s}.json`) }))
  : await makeTrackingClips(dir, seeds, detector);

for (const detectEvery of values['detect-every']!.split(',').map(Number))
  for (const reid of reidModes) {
    console.log(`\n### detector every ${detectEvery} frame(s), re-identification ${reid}\n`);
    console.log('| clip | people | cut | IDF1 | ID switches | MOTA | track IDs | frames/s |');
    console.log('|---|---|---|---|---|---|---|---|');
    const totals = { idtp: 0, gt: 0, pr: 0, idsw: 0, fn: 0, fp: 0 };
    const groups = { 'tuned (seeds 1-4)': { idtp: 0, n: 0 }, 'held out (seeds 5 and up)': { idtp: 0, n: 0 } };
    for (const clip of clips) {
      const truth = JSON.parse(readFileSync(clip.truth, 'utf8')) as ClipTruth;
      const r = await runVideoJob(clip.video, detector, ensemble, {
        ...RAW_FRAMES,
        batchSize: 16,
        detectEvery,
        reidentify: reidentify(reid),
      });
      const predicted: TrackedBox[][] = r.frames.map((f) => f.faces.map((x) => ({ id: x.trackId, box: x.box })));
      const s = trackingScores(
        truth.frames.map((f) => f.map((o) => ({ id: o.id, box: o.box }))),
        predicted,
      );
      totals.idtp += s.idtp;
      totals.gt += s.gt;
      totals.pr += s.predicted;
      totals.idsw += s.idSwitches;
      totals.fn += s.fn;
      totals.fp += s.fp;
      const group = groups[truth.seed <= 4 ? 'tuned (seeds 1-4)' : 'held out (seeds 5 and up)'];
      group.idtp += s.idtp;
      group.n += s.gt + s.predicted;
      console.log(
        `| ${basename(clip.video)} | ${s.gtIds} | ${truth.cuts.length ? `frame ${truth.cuts[0]}` : '-'} | ${s.idf1.toFixed(3)} | ${s.idSwitches} | ${s.mota.toFixed(3)} | ${s.predictedIds} | ${(r.frames.length / r.stats.seconds).toFixed(1)} |`,
      );
    }
    console.log(
      `| **all** | | | **${((2 * totals.idtp) / (totals.gt + totals.pr)).toFixed(3)}** | ${totals.idsw} | ${(1 - (totals.fn + totals.fp + totals.idsw) / totals.gt).toFixed(3)} | | |`,
    );
    console.log(
      `\nIDF1 by seed group: ${Object.entries(groups)
        .filter(([, g]) => g.n)
        .map(([name, g]) => `${name} ${((2 * g.idtp) / g.n).toFixed(3)}`)
        .join(', ')}`,
    );

    // Real faces composed on one canvas (scripts/realCompositeClips.ts). Nothing was tuned on them: all held out.
    const sources = ['WolfgangLanger_Pexels.mp4', 'single_face.mp4', 'face_noface.mov', 'noface_face.mov'].map((f) =>
      join(SHARED_DATA, 'pyfeat_media', f),
    );
    if (sources.every((p) => existsSync(p))) {
      // single_face.mp4 and the two .mov clips show the same man: composites with two of them put him on screen
      // twice, which only co-presence (not appearance) can keep apart.
      console.log('\n| real composite | sources | IDF1 | ID switches | MOTA | track IDs |');
      console.log('|---|---|---|---|---|---|');
      const sum = { idtp: 0, n: 0, idsw: 0, fn: 0, fp: 0, gt: 0 };
      for (const seed of values.composites!.split(',').map(Number)) {
        const count = 2 + (seed % 3);
        const chosen = Array.from({ length: count }, (_, k) => sources[(seed + k) % sources.length]);
        const { video, truth } = await makeRealComposite(join(PACKAGE_ROOT, '.cache', 'tracking-composites'), seed, chosen, detector);
        const r = await runVideoJob(video, detector, ensemble, { ...RAW_FRAMES, batchSize: 16, detectEvery, reidentify: reidentify(reid) });
        const s = trackingScores(
          truth.frames,
          r.frames.map((f) => f.faces.map((x) => ({ id: x.trackId, box: x.box }))),
        );
        Object.assign(sum, {
          idtp: sum.idtp + s.idtp,
          n: sum.n + s.gt + s.predicted,
          idsw: sum.idsw + s.idSwitches,
          fn: sum.fn + s.fn,
          fp: sum.fp + s.fp,
          gt: sum.gt + s.gt,
        });
        console.log(
          `| real${seed}.mp4 | ${chosen.map((c) => basename(c).replace(/\..*$/, '')).join(' + ')} | ${s.idf1.toFixed(3)} | ${s.idSwitches} | ${s.mota.toFixed(3)} | ${s.predictedIds} |`,
        );
      }
      console.log(
        `| **all (held out)** | | **${((2 * sum.idtp) / sum.n).toFixed(3)}** | ${sum.idsw} | ${(1 - (sum.fn + sum.fp + sum.idsw) / sum.gt).toFixed(3)} | |`,
      );
    }

    // Hamilton, identities by eye every 10th frame (bench/hamilton-identities.json; its two people are in bench:reid-distances, on which maxDistance was chosen).
    const hamilton = join(SHARED_DATA, 'hamilton_clip', 'short_hamilton_clip.mp4');
    if (existsSync(hamilton)) {
      const notes = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'bench', 'hamilton-identities.json'), 'utf8')) as {
        frames: { frame: number; faces: { box: TrackedBox['box']; person: string }[] }[];
      };
      const persons = [...new Set(notes.frames.flatMap((f) => f.faces.map((x) => x.person)))];
      const r = await runVideoJob(hamilton, detector, ensemble, {
        ...RAW_FRAMES,
        batchSize: 16,
        detectEvery,
        reidentify: reidentify(reid),
      });
      const truth = notes.frames.map((f) => f.faces.map((x) => ({ id: persons.indexOf(x.person) + 1, box: x.box })));
      const predicted = notes.frames.map((f) => r.frames[f.frame].faces.map((x) => ({ id: x.trackId, box: x.box })));
      const s = trackingScores(truth, predicted);
      // Which IDs each person got, and which people each ID was given to (an ID on two people passed between them).
      const ids = new Map<number, Set<string>>();
      notes.frames.forEach((f, i) =>
        f.faces.forEach((x) => {
          const hit = predicted[i].find((p) => iouOf(p.box, x.box) >= 0.5);
          if (hit) ids.set(hit.id, (ids.get(hit.id) ?? new Set()).add(x.person));
        }),
      );
      const shared = [...ids.entries()].filter(([, who]) => who.size > 1).map(([id, who]) => `ID ${id}: ${[...who].join(' + ')}`);
      console.log(
        `\nshort_hamilton_clip.mp4, identities by eye (every 10th frame; its two people are among the faces re-identification's threshold was chosen on): IDF1 ${s.idf1.toFixed(3)}, ID switches ${s.idSwitches}, MOTA ${s.mota.toFixed(3)}; IDs given to two people: ${shared.length ? shared.join('; ') : 'none'}`,
      );
    }

    console.log('\n| real video | frames | frames with a face | track IDs | tracks >= 100 frames | scene cuts | frames/s |');
    console.log('|---|---|---|---|---|---|---|');
    for (const parts of [
      ['hamilton_clip', 'short_hamilton_clip.mp4'],
      ['pyfeat_media', 'WolfgangLanger_Pexels.mp4'],
      ['pyfeat_media', 'single_face.mp4'],
    ]) {
      const path = join(SHARED_DATA, ...parts);
      if (!existsSync(path)) continue;
      const r = await runVideoJob(path, detector, ensemble, { ...RAW_FRAMES, batchSize: 16, detectEvery, reidentify: reidentify(reid) });
      const lengths = new Map<number, number>();
      for (const f of r.frames) for (const x of f.faces) lengths.set(x.trackId, (lengths.get(x.trackId) ?? 0) + 1);
      console.log(
        `| ${parts[1]} | ${r.frames.length} | ${r.frames.filter((f) => f.faces.length).length} | ${lengths.size} | ${[...lengths.values()].filter((n) => n >= 100).length} | ${r.frames.filter((f) => f.sceneCut).length} | ${(r.frames.length / r.stats.seconds).toFixed(1)} |`,
      );
    }
  }
await pool.close();
