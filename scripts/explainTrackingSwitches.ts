/**
 * Every ID switch on real composites, with what led to it: the frame, the person, the ID before and after, what
 * the new ID was (new, back to the person's own, another person's, one never matched to anyone), how long the
 * person had gone unmatched, whether a detection or a landmark-placed crop gave it, and the scene cuts the
 * video had (a cut ends or suspends every track). `--dump from,to` prints truth and output boxes per frame.
 * What a switch count does not say: which mechanism to fix (docs/tracking.md, "Tracks over a cut").
 *   npm run bench:tracking:explain -- --composites 2,8,10 [--identity-pass whole-video] [--dump 36,44] [--motion seamless]
 */
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { TinyFaceDetector } from '../src/detection/tinyFaceDetector.js';
import { iou, type Box } from '../src/image/rgbImage.js';
import { DEFAULT_MANIFEST } from '../src/models/defaultManifest.js';
import { Ensemble } from '../src/models/ensemble.js';
import { FaceDescriber } from '../src/models/faceDescriber.js';
import { loadManifest } from '../src/models/manifest.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { RAW_FRAMES, runVideoJob } from '../src/pipeline/videoJob.js';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { compositeCast, compositeMotionOf, makeRealComposite } from './realCompositeClips.js';

const { values } = parseArgs({
  options: {
    composites: { type: 'string', default: '1,2,3' },
    'identity-pass': { type: 'string', default: 'online' },
    'detect-every': { type: 'string', default: '10' },
    dump: { type: 'string' },
    motion: { type: 'string', default: 'looped' },
  },
});
const pool = new InferencePool({ workers: 2 });
const ensemble = await Ensemble.load(loadManifest(DEFAULT_MANIFEST), pool, 'cpu');
const detector = await TinyFaceDetector.load(pool, 'cpu', { inputSize: [608, 320] });
const describer = await FaceDescriber.load(pool, 'cpu');
const compositeDir = join(PACKAGE_ROOT, '.cache', 'tracking-composites');
const [dumpFrom, dumpTo] = values.dump ? values.dump.split(',').map(Number) : [1, 0];
const round = (b: Box) => `${Math.round(b.x)},${Math.round(b.y)},${Math.round(b.width)}`;

for (const seed of values.composites!.split(',').map(Number)) {
  const cast = compositeCast(seed, compositeDir);
  const { video, truth } = await makeRealComposite(compositeDir, seed, cast, detector, compositeMotionOf(values.motion!));
  const r = await runVideoJob(video, detector, ensemble, {
    ...RAW_FRAMES,
    batchSize: 16,
    detectEvery: Number(values['detect-every']),
    reidentify: { describer, acrossCuts: true },
    identityPass: values['identity-pass'] === 'whole-video',
  });
  console.log(`\n${basename(video)}: ${cast.map((c) => basename(c).replace(/\..*$/, '')).join(' + ')}`);
  console.log(`  scene cuts at ${r.frames.flatMap((f, i) => (f.sceneCut ? [i] : [])).join(', ') || 'none'}`);
  for (let i = dumpFrom; i <= dumpTo && i < r.frames.length; i++) {
    const people = (truth.frames[i] ?? []).map((t) => `person ${t.id} @${round(t.box)}`).join(' ');
    const out = r.frames[i].faces.map((x) => `ID ${x.trackId} @${round(x.box)}${x.source === 'detector' ? ' (detected)' : ''}`).join(' ');
    console.log(`  [${i}] truth ${people} | out ${out}`);
  }
  // The same correspondence as trackingScores' CLEAR-MOT, simplified: each person's best box at IoU >= 0.5.
  const last = new Map<number, { id: number; frame: number }>();
  const owner = new Map<number, number>();
  const firstSeen = new Map<number, number>();
  r.frames.forEach((f, i) => {
    for (const x of f.faces) if (!firstSeen.has(x.trackId)) firstSeen.set(x.trackId, i);
    for (const t of truth.frames[i] ?? []) {
      let best: { id: number; source: string } | undefined;
      let bestIou = 0.5;
      for (const x of f.faces) {
        const overlap = iou(t.box, x.box);
        if (overlap >= bestIou) [bestIou, best] = [overlap, { id: x.trackId, source: x.source }];
      }
      if (!best) continue;
      const prev = last.get(t.id);
      if (prev && prev.id !== best.id) {
        const was = owner.get(best.id);
        const kind =
          was === undefined
            ? firstSeen.get(best.id) === i
              ? 'a new ID'
              : 'an ID no one had'
            : was === t.id
              ? 'back to their own'
              : `person ${was}'s ID`;
        console.log(
          `  frame ${i}: person ${t.id} ID ${prev.id} -> ${best.id} (${kind}; unmatched for ${i - prev.frame - 1} frames before; by ${best.source}; face ${Math.round(t.box.width)} px)`,
        );
      }
      last.set(t.id, { id: best.id, frame: i });
      if (!owner.has(best.id)) owner.set(best.id, t.id);
    }
  });
}
await pool.close();
