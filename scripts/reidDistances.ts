/**
 * Appearance descriptors of real faces, same person vs different people: the distances re-identification
 * decides on, measured on the shared videos (WolfgangLanger_Pexels.mp4; one man in single_face.mp4,
 * face_noface.mov and noface_face.mov; short_hamilton_clip.mp4's performer and a woman in the audience, as
 * bench/hamilton-identities.json names them), and on a broader set of different people, the photos of
 * wild_expressions_dev named by person (377 people). Faces are described as the tracker describes them, aligned by
 * the default members' landmarks. Prints both distributions and the false-match rate of each threshold: what
 * IdentityGallery's maxDistance and the tracker's REATTACH_MAX_DISTANCE are chosen on.
 *   npm run bench:reid-distances
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { TinyFaceDetector } from '../src/detection/tinyFaceDetector.js';
import { decodeImageFile } from '../src/image/decodeImage.js';
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
type Sample = { person: string; d: Float32Array };
const samples: Sample[] = [];

async function describeVideo(video: string, boxesAt: (frame: number, found: Box[]) => { person: string; box: Box }[], every: number) {
  const frames = await lastValueFrom(videoFrames(await probeVideo(video)).pipe(toArray()));
  for (const f of frames) {
    if (f.frameIndex % every === 0) {
      const found = (await detector.detect([f.image]))[0].map((d) => d.box);
      const faces = boxesAt(f.frameIndex, found);
      const inputs = faces.map((x) => ({ image: f.image, box: x.box }));
      const landmarks = (await ensemble.predict(inputs)).map((p) => p.landmarks);
      const ds = await describer.describe(inputs.map((x, i) => ({ ...x, landmarks: landmarks[i] })));
      faces.forEach((x, i) => samples.push({ person: x.person, d: ds[i] }));
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

// A second, broader set of different people: the in-the-wild photos of wild_expressions_dev, named by person
// (LFW-style file names, Name_0001.jpg), each crop described as a whole with the landmarks found on it. Other
// photos, days and cameras: one person's looks spread further than in one video, and 377 people, not 4.
const photos: Sample[] = [];
const wild = join(SHARED_DATA, 'wild_expressions_dev');
for (const c of readdirSync(wild, { withFileTypes: true }).filter((d) => d.isDirectory()))
  for (const f of readdirSync(join(wild, c.name))) {
    const image = await decodeImageFile(join(wild, c.name, f));
    const face = { image, box: { x: 0, y: 0, width: image.width, height: image.height } };
    const [p] = await ensemble.predict([face]);
    const [d] = await describer.describe([{ ...face, landmarks: p.landmarks }]);
    photos.push({ person: f.replace(/_\d+\.\w+$/, ''), d });
  }
await pool.close();

function report(title: string, faces: Sample[]): void {
  const genuine: number[] = [];
  const impostor: number[] = [];
  for (let i = 0; i < faces.length; i++)
    for (let j = i + 1; j < faces.length; j++)
      (faces[i].person === faces[j].person ? genuine : impostor).push(euclidean(faces[i].d, faces[j].d));
  genuine.sort((a, b) => a - b);
  impostor.sort((a, b) => a - b);
  const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
  const people = new Set(faces.map((s) => s.person)).size;
  console.log(
    `\n## ${title}\n\nfaces described: ${faces.length} of ${people} people; ${genuine.length} same-person pairs, ${impostor.length} different-people pairs\n`,
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
  for (const t of [0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7]) {
    const fm = impostor.filter((d) => d <= t).length / impostor.length;
    const gm = genuine.filter((d) => d <= t).length / genuine.length;
    console.log(`| ${t.toFixed(2)} | ${(100 * fm).toFixed(2)}% | ${(100 * gm).toFixed(1)}% |`);
  }
}

report('The shared videos (frames of one video: what tracking compares)', samples);
// The pairs that matter most: Hamilton's two people, one before a cut and one after.
const cross = samples
  .filter((s) => s.person === 'performer')
  .flatMap((a) => samples.filter((s) => s.person === 'woman-in-audience').map((b) => euclidean(a.d, b.d)))
  .sort((a, b) => a - b);
if (cross.length)
  console.log(
    `\nperformer vs woman in the audience (short_hamilton_clip.mp4): min ${cross[0].toFixed(3)}, median ${cross[Math.floor(cross.length / 2)].toFixed(3)}`,
  );
report('wild_expressions_dev photos, by person (other days and cameras; many more people)', photos);
