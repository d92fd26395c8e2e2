/**
 * The GPU check, one prepared run: the default graph (bagged-default) and the face-api member on a device
 * against the CPU, at growing batches: faces/s of the bare session (no decode, no crop) and the largest
 * difference from the CPU's outputs. What a lent GPU machine runs in one call:
 *   npm run bench:gpu -- webgpu            # or cuda where ORT's CUDA provider is installed
 *   npm run bench:gpu -- webgpu --batches 1,8 --seconds 1    # lavapipe here: correctness, not speed
 */
import { parseArgs } from 'node:util';
import { ensureBuiltinModel } from '../src/models/import/modelImporter.js';
import { parseDevice } from '../src/models/ort/device.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';

const { values, positionals } = parseArgs({
  options: { batches: { type: 'string' }, seconds: { type: 'string' } },
  allowPositionals: true,
});
const device = parseDevice(positionals[0] ?? 'webgpu');
const batches = (values.batches ?? '1,8,32,128,512').split(',').map(Number);
const seconds = Number(values.seconds ?? 5);

const crops = (n: number) => {
  const data = new Float32Array(n * 3 * 112 * 112);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 256;
  return { crop: { data, dims: [n, 3, 112, 112] } };
};

const pool = new InferencePool({ workers: 1, perWorker: 2 });
try {
  for (const id of ['member-face-api', 'bagged-default'] as const) {
    const model = ensureBuiltinModel(id);
    const loaded = await pool.load(`${id}/dev`, model, device);
    await pool.load(`${id}/cpu`, model, 'cpu');
    console.log(`${id} on ${loaded.provider}${loaded.fallbackReason ? ` (${loaded.fallbackReason})` : ''}`);
    for (const n of batches) {
      const [dev, cpu] = [await pool.run(`${id}/dev`, crops(n)), await pool.run(`${id}/cpu`, crops(n))];
      const worst = Math.max(...Object.keys(cpu).map((k) => dev[k].data.reduce((m, v, i) => Math.max(m, Math.abs(v - cpu[k].data[i])), 0)));
      // Two requests in flight, as the pool runs them, for `seconds`.
      let faces = 0;
      const started = performance.now();
      while (performance.now() - started < seconds * 1000) {
        await Promise.all([pool.run(`${id}/dev`, crops(n)), pool.run(`${id}/dev`, crops(n))]);
        faces += 2 * n;
      }
      const rate = faces / ((performance.now() - started) / 1000);
      console.log(`  batch ${String(n).padStart(4)}: ${rate.toFixed(0).padStart(7)} faces/s, max |device - cpu| ${worst.toExponential(1)}`);
    }
  }
} finally {
  await pool.close();
}
