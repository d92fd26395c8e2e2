/**
 * The scene-cut detector's two measures on every frame of the shared real videos and the synthetic tracking
 * clips, against their known cuts: the largest values on frames that are not cuts (motion, shake) and the
 * smallest on real cuts, and the false and missed cuts at the default thresholds.
 *   npm run bench:scene-cuts
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { lastValueFrom, toArray, map } from 'rxjs';
import { PACKAGE_ROOT, SHARED_DATA } from '../src/util/paths.js';
import { probeVideo } from '../src/video/probeVideo.js';
import { SceneCutDetector } from '../src/video/sceneCutDetector.js';
import { videoFrames } from '../src/video/videoFrames.js';

// Known cuts: the Hamilton clip's three (docs/video.md), the synthetic clips' from their truth files.
const videos: { path: string; cuts: number[] }[] = [
  { path: join(SHARED_DATA, 'hamilton_clip', 'short_hamilton_clip.mp4'), cuts: [20, 82, 211] },
  { path: join(SHARED_DATA, 'pyfeat_media', 'WolfgangLanger_Pexels.mp4'), cuts: [] },
  { path: join(SHARED_DATA, 'pyfeat_media', 'single_face.mp4'), cuts: [] },
  ...[1, 2, 3, 4]
    .map((s) => join(PACKAGE_ROOT, '.cache', 'tracking-clips', `clip${s}`))
    .filter((p) => existsSync(`${p}.json`))
    .map((p) => ({ path: `${p}.mp4`, cuts: (JSON.parse(readFileSync(`${p}.json`, 'utf8')) as { cuts: number[] }).cuts })),
].filter((v) => existsSync(v.path));

console.log(
  '| video | cuts | max pixel / colour change, not a cut | min pixel / colour change at a cut | false cuts | missed cuts | false cuts, pixel measure alone |',
);
console.log('|---|---|---|---|---|---|---|');
for (const v of videos) {
  const detector = new SceneCutDetector();
  const pixelOnly = new SceneCutDetector(20, 0);
  const info = await probeVideo(v.path);
  const rows = await lastValueFrom(
    videoFrames(info).pipe(
      map((f) => ({ i: f.frameIndex, m: detector.measure(f.image), p: pixelOnly.isCut(f.image) })),
      toArray(),
    ),
  );
  const fmt = (xs: number[], f: (a: number[]) => number) => (xs.length ? f(xs).toFixed(2) : '-');
  const other = rows.filter((r) => r.m && !v.cuts.includes(r.i));
  const atCuts = rows.filter((r) => r.m && v.cuts.includes(r.i));
  const cut = (r: (typeof rows)[number]) => r.m !== undefined && r.m.pixelChange > 20 && r.m.colourChange > 0.1;
  console.log(
    `| ${basename(v.path)} | ${v.cuts.length} | ${fmt(
      other.map((r) => r.m!.pixelChange),
      (a) => Math.max(...a),
    )} / ${fmt(
      other.map((r) => r.m!.colourChange),
      (a) => Math.max(...a),
    )} | ${fmt(
      atCuts.map((r) => r.m!.pixelChange),
      (a) => Math.min(...a),
    )} / ${fmt(
      atCuts.map((r) => r.m!.colourChange),
      (a) => Math.min(...a),
    )} | ${other.filter(cut).length} | ${atCuts.filter((r) => !cut(r)).length} | ${other.filter((r) => r.p).length} |`,
  );
}
