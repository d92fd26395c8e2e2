import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { ensureBuiltinModel } from '../src/models/import/modelImporter.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { cli } from './helpers/cli.js';

// Mesa's lavapipe: a real Vulkan driver that runs on the CPU, so Dawn and ONNX Runtime's WebGPU provider
// run here as on a GPU (slowly: a correctness vehicle, never a benchmark).
const LAVAPIPE = '/usr/share/vulkan/icd.d/lvp_icd.json';
const NO_VULKAN = !existsSync(LAVAPIPE) && `${LAVAPIPE} is absent (apt: mesa-vulkan-drivers from bookworm-backports; .ci/run installs it)`;

describe('ONNX Runtime WebGPU provider on a real Vulkan driver', () => {
  const pool = new InferencePool({ workers: 1 });
  after(() => pool.close());
  const model = ensureBuiltinModel('member-face-api');
  const crops = (n: number) => {
    const data = new Float32Array(n * 3 * 112 * 112);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 256;
    return { crop: { data, dims: [n, 3, 112, 112] } };
  };

  test(
    '--device webgpu runs the face-api member and agrees with the CPU provider (<= 1e-4)',
    { skip: NO_VULKAN, timeout: 120_000 },
    async () => {
      const gpu = await pool.load('gpu', model, 'webgpu');
      assert.equal(gpu.provider, 'webgpu');
      await pool.load('cpu', model, 'cpu');
      const [a, b] = [await pool.run('gpu', crops(4)), await pool.run('cpu', crops(4))];
      for (const name of ['expression', 'landmarks']) {
        const worst = a[name].data.reduce((m, v, i) => Math.max(m, Math.abs(v - b[name].data[i])), 0);
        assert.ok(worst <= 1e-4, `${name}: ${worst}`);
      }
    },
  );

  test('auto does not pick a software Vulkan adapter: without a GPU device node it stays on the CPU and says why', async () => {
    const info = await pool.load('auto', model, 'auto');
    if (existsSync('/dev/nvidia0') || existsSync('/dev/dri')) return; // a machine with a GPU may pick it
    assert.equal(info.provider, 'cpu');
    assert.match(info.fallbackReason ?? '', /CUDA provider not installed; no GPU device node for WebGPU/);
  });

  test('--device webgpu with no Vulkan driver: exit 1, the last line says what is missing', { skip: NO_VULKAN }, async () => {
    const r = await cli(['--input', `${PACKAGE_ROOT}/samples/crops`, '--out', '/tmp/fer-webgpu-none.csv', '--device', 'webgpu'], {
      VK_ICD_FILENAMES: '/nonexistent.json',
    });
    assert.equal(r.code, 1);
    const last = r.stderr.trim().split('\n').pop()!;
    assert.match(last, /^fer-stream: --device webgpu: .*no WebGPU adapter.*needs a Vulkan driver/);
    assert.ok(!existsSync('/tmp/fer-webgpu-none.csv'));
  });
});
