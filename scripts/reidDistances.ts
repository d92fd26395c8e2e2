/**
 * Appearance descriptors of real faces, same person vs different people: the distances re-identification
 * decides on, measured on the shared videos (WolfgangLanger_Pexels.mp4; one man in single_face.mp4,
 * face_noface.mov and noface_face.mov; short_hamilton_clip.mp4's performer and a woman in the audience, as
 * bench/hamilton-identities.json names them). Prints both distributions and the false-match rate of each
 * threshold: what IdentityGallery's maxDistance is chosen on.
 *   npm run bench:reid-distances
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { TinyFaceDetector } from '../src/detection/tinyFaceDetector.js';
import type { Box } from '../src/image/rgbImage.js';
import { DEFAULT_MANIFEST } from '../src/models/defaultManifest.js';
import { Ensemble } from '../src/models/ensemble.js';
import { FaceDescriber } from '../src/models/faceDescriber.js';
import { loadManifest } from '../src/models/manifest.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { euclidean } from '../src/tracking/identityGallery.js';
import { PACKAGE_ROOT, SHARED_DATA } from '../src/util/paths.js';
import { probeVideo } from '../src/video/probeVideo.js';
import { videoFrames } from '../src/video/videoFrames.js';

const pool = new InferencePool({ workers: 2 });
const detector = await TinyFaceDetector.load(pool, 'cpu', { inputSize: [608, 320] });
const describer = await FaceDescriber.load(pool, 'cpu');
// The tracker describes a face aligned by the landmarks the default members find on it; so does this.
const ensemble = await Ensemble.load(loadManifest(DEFAULT_MANIFEST), pool, 'cpu');
const samples: { person: string; video: string; frame: number; d: Float32Array }[] = [];

async function describeVideo(video: string, boxesAt: (frame: number, found: Box[]) => { person: string; box: Box }[], every: number) {
  const frames = await lastValueFrom(videoFrames(await probeVideo(video)).pipe(toArray()));
  for (const f of frames) {
    if (f.frameIndex % every === 0) {
      const found = (await detector.detect([f.image]))[0].map((d) => d.box);
      const faces = boxesAt(f.frameIndex, found);
      const inputs = faces.map((x) => ({ image: f.image, box: x.box }));
      const landmarks = (await ensemble.predict(inputs)).map((p) => p.landmarks);
      const ds = await describer.describe(inputs.map((x, i) => ({ ...x, landmarks: landmarks[i] })));
      faces.forEach((x, i) => samples.push({ person: x.person, video, frame: f.frameIndex, d: ds[i] }));
    }
    f.release?.();
  }
}

const media = (name: string) => join(SHARED_DATA, 'pyfeat_media', name);
const single = (person: string) => (_: number, found: Box[]) => (found.length === 1 ? [{ person, box: found[0] }] : []);
await describeVideo(media('WolfgangLanger_Pexels.mp4'), single('wolfgang'), 8);
for (const v of ['single_face.mp4', 'face_noface.mov', 'noface_face.mov']) await describeVideo(media(v), single('man'), 4);
const notes = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'bench', 'hamilton-identities.json'), 'utf8')) as {
  frames: { frame: number; faces: { box: Box; person: string }[] }[];
};
const byFrame = new Map(notes.frames.map((f) => [f.frame, f.faces]));
await describeVideo(join(SHARED_DATA, 'hamilton_clip', 'short_hamilton_clip.mp4'), (frame) => byFrame.get(frame) ?? [], 10);
await pool.close();

const genuine: number[] = [];
const impostor: number[] = [];
for (let i = 0; i < samples.length; i++)
  for (let j = i + 1; j < samples.length; j++)
    (samples[i].person === samples[j].person ? genuine : impostor).push(euclidean(samples[i].d, samples[j].d));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const people = [...new Set(samples.map((s) => s.person))].map((p) => `${p} ${samples.filter((s) => s.person === p).length}`);
console.log(
  `faces described: ${samples.length} (${people.join(', ')}); ${genuine.length} same-person pairs, ${impostor.length} different-people pairs\n`,
);
console.log('| pairs | min | 1% | 5% | 50% | 95% | 99% | max |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [name, xs] of [
  ['same person', genuine],
  ['different people', impostor],
] as const)
  console.log(`| ${name} | ${[0, 1, 5, 50, 95, 99, 100].map((p) => pct(xs, p).toFixed(3)).join(' | ')} |`);
console.log('\n| threshold | false matches (different people within it) | same person within it |');
console.log('|---|---|---|');
for (const t of [0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.625, 0.65, 0.7]) {
  const fm = impostor.filter((d) => d <= t).length / impostor.length;
  const gm = genuine.filter((d) => d <= t).length / genuine.length;
  console.log(`| ${t.toFixed(2)} | ${(100 * fm).toFixed(2)}% | ${(100 * gm).toFixed(1)}% |`);
}
// The pairs that matter most: Hamilton's two people, one before a cut and one after.
const cross = samples
  .filter((s) => s.person === 'performer')
  .flatMap((a) => samples.filter((s) => s.person === 'woman-in-audience').map((b) => euclidean(a.d, b.d)));
if (cross.length)
  console.log(
    `\nperformer vs woman in the audience (short_hamilton_clip.mp4): min ${Math.min(...cross).toFixed(3)}, median ${pct(cross, 50).toFixed(3)}`,
  );
