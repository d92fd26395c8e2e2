/**
 * Face-crop scoring throughput at batch 1, 8 and 32:
 *   npm run bench:images [-- <device> <count>] [--manifest accurate] [--workers 2]
 * The default ensemble unless --manifest names another (a file or a bundled name). Uses fer2013_test crops from
 * ../shared when present, else the install-built samples (repeated).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MANIFEST } from '../src/models/defaultManifest.js';
import { Ensemble } from '../src/models/ensemble.js';
import { loadManifest } from '../src/models/manifest.js';
import { parseDevice } from '../src/models/ort/device.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { listFaceCrops, type FaceCropItem } from '../src/pipeline/faceCropSource.js';
import { scoreFaceCrops } from '../src/pipeline/scoreFaceCrops.js';
import { PACKAGE_ROOT, SHARED_DATA } from '../src/util/paths.js';

const { values, positionals } = parseArgs({
  options: { manifest: { type: 'string' }, workers: { type: 'string' } },
  allowPositionals: true,
});
const device = parseDevice(positionals[0] ?? 'cpu');
const N = Number(positionals[1] ?? 512);
const workers = Number(values.workers ?? 1);
if (!Number.isInteger(workers) || workers < 1 || !Number.isInteger(N) || N < 1) {
  console.error(
    `bench:images: --workers and <count> are whole numbers of at least 1 (got ${values.workers ?? 1}, ${positionals[1] ?? 512})`,
  );
  process.exit(2);
}
let items: FaceCropItem[];
try {
  items = listFaceCrops(join(SHARED_DATA, 'fer2013_test', 'test')).filter((_, i) => i % 7 === 0);
} catch {
  const dir = join(PACKAGE_ROOT, 'samples', 'crops');
  items = readdirSync(dir)
    .filter((f) => f.endsWith('.jpg'))
    .map((f) => ({ name: f, path: join(dir, f) }));
}
while (items.length < N) items = items.concat(items);
items = items.slice(0, N);

const pool = new InferencePool({ workers });
const manifest = loadManifest(values.manifest ?? DEFAULT_MANIFEST);
const ensemble = await Ensemble.load(manifest, pool, device);
await scoreFaceCrops(items.slice(0, 32), ensemble, { batchSize: 32 }); // warm-up
console.log(
  `${manifest.name} ensemble (${Object.keys(ensemble.providers).join(' + ')}) on ${Object.values(ensemble.providers)[0]}, ${workers} worker(s), ${items.length} crops, decode included`,
);
console.log('| batch | images/s | ms/image |');
console.log('|---|---|---|');
for (const batchSize of [1, 8, 32]) {
  const t = performance.now();
  await scoreFaceCrops(items, ensemble, { batchSize });
  const s = (performance.now() - t) / 1000;
  console.log(`| ${batchSize} | ${(items.length / s).toFixed(1)} | ${((1000 * s) / items.length).toFixed(2)} |`);
}
await pool.close();
