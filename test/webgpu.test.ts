import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ensureBuiltinModel } from '../src/models/import/modelImporter.js';
import { parsePlacement } from '../src/models/ort/cpuPlacement.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { ffmpegTools } from '../src/video/ffmpegBinaries.js';
import { PACKAGE_ROOT, SHARED_DATA } from '../src/util/paths.js';
import { cli } from './helpers/cli.js';

// Mesa's lavapipe: a real Vulkan driver that runs on the CPU, so Dawn and ONNX Runtime's WebGPU provider
// run here as on a GPU (slowly: a correctness vehicle, never a benchmark).
const LAVAPIPE = '/usr/share/vulkan/icd.d/lvp_icd.json';
const NO_VULKAN = !existsSync(LAVAPIPE) && `${LAVAPIPE} is absent (apt: mesa-vulkan-drivers from bookworm-backports; .ci/run installs it)`;

const CLIP_PATH = join(SHARED_DATA, 'pyfeat_media', 'single_face.mp4');
const CLIP = existsSync(CLIP_PATH) ? CLIP_PATH : undefined;
const NO_CLIP = !CLIP && `${CLIP_PATH} is absent (../shared/data)`;

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

  // Every graph fer-stream builds and runs: the detector, both ensembles (the accurate one is the trunk, OpenCV
  // Zoo's features and its heads) and the face describer. Inputs in 0..255, as crops are.
  const BUILTIN_INPUTS: Record<string, Record<string, number[]>> = {
    'tiny-face-detector': { input: [1, 320, 320, 3] },
    'bagged-default': { crop: [2, 3, 112, 112] },
    'trunk-features': { crop: [2, 3, 112, 112] },
    'opencv-fer-features': { data: [2, 3, 112, 112] },
    'bagged-accurate-heads': {
      faceApiExpression: [2, 256],
      faceApiLandmarks: [2, 256],
      human: [2, 256],
      'opencv-fer': [2, 512],
      faceApiProbs: [2, 7],
      humanProbs: [2, 7],
    },
    'face-recognition': { input: [1, 3, 150, 150] },
  };
  const feedsFor = (id: string) =>
    Object.fromEntries(
      Object.entries(BUILTIN_INPUTS[id]).map(([name, dims], k) => {
        const data = new Float32Array(dims.reduce((a, d) => a * d, 1));
        // Probabilities for the vote's inputs, features of the size a ReLU gives, pixels for images.
        const top = dims.length === 2 ? (dims[1] === 7 ? 1 / 7 : 2) : 255;
        for (let i = 0; i < data.length; i++) data[i] = (((i + k) * 7919) % 256) * (top / 255);
        return [name, { data, dims }];
      }),
    );

  for (const id of Object.keys(BUILTIN_INPUTS)) {
    test(
      `built-in ${id}: every node on webgpu (ONNX Runtime's placement report) and the CPU provider's outputs within 1e-4`,
      { skip: NO_VULKAN, timeout: 300_000 },
      async () => {
        const path = ensureBuiltinModel(id);
        const gpu = await pool.load(`gpu:${id}`, path, 'webgpu');
        assert.equal(gpu.provider, 'webgpu');
        assert.deepEqual(gpu.cpuNodes, [], `left on the CPU: ${gpu.cpuNodes.join(', ')}`);
        await pool.load(`cpu:${id}`, path, 'cpu');
        const [a, b] = [await pool.run(`gpu:${id}`, feedsFor(id)), await pool.run(`cpu:${id}`, feedsFor(id))];
        for (const name of Object.keys(b)) {
          // Relative to the output's own scale: the detector's grid holds logits in the tens.
          const scale = Math.max(1, ...b[name].data.map(Math.abs));
          const worst = a[name].data.reduce((m, v, i) => Math.max(m, Math.abs(v - b[name].data[i])), 0) / scale;
          assert.ok(worst <= 1e-4, `${name}: ${worst} of its scale ${scale}`);
        }
      },
    );
  }

  test(
    "--device webgpu on two seconds of video gives the CPU run's label on at least 97% of frames",
    { skip: NO_VULKAN || NO_CLIP, timeout: 600_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fer-webgpu-video-'));
      try {
        const clip = join(dir, 'clip.mp4');
        execFileSync(ffmpegTools().ffmpeg, ['-v', 'error', '-i', CLIP!, '-t', '2', '-an', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', clip]);
        const labels: Record<string, string[]> = {};
        for (const device of ['cpu', 'webgpu']) {
          const out = join(dir, `${device}.csv`);
          const r = await cli(['--input', clip, '--out', out, '--format', 'csv', '--device', device, '--no-reid']);
          assert.equal(r.code, 0, r.stderr);
          if (device === 'webgpu') assert.match(r.stderr, /every node of \d+ model\(s\) runs on webgpu/);
          const rows = readFileSync(out, 'utf8').trim().split('\n');
          const label = rows[0].split(',').indexOf('label');
          labels[device] = rows.slice(1).map((row) => row.split(',')[label]);
        }
        assert.ok(labels.cpu.length >= 40, `${labels.cpu.length} rows`);
        assert.equal(labels.webgpu.length, labels.cpu.length);
        const same = labels.cpu.filter((l, i) => l === labels.webgpu[i]).length;
        assert.ok(same >= 0.97 * labels.cpu.length, `${same} of ${labels.cpu.length} frames agree`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  test("the placement report is read from ONNX Runtime's verbose log: the nodes under [CPUExecutionProvider]", () => {
    const log = [
      '[V:onnxruntime:, session_state.cc:1377 VerifyEachNodeIsAssignedToAnEp] Node placements',
      '[V:onnxruntime:, session_state.cc:1383 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 2',
      '[V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   Sum (node_Sum)',
      '[V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   Slice (a/b/node_Slice)',
      '[V:onnxruntime:, session_state.cc:1383 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 1',
      '[V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   Add (node_Add)',
    ].join('\n');
    assert.deepEqual(parsePlacement(log), ['Sum (node_Sum)', 'Slice (a/b/node_Slice)']);
    assert.deepEqual(parsePlacement(log.replace(/Node\(s\) placed on \[CPUExecutionProvider\].*\n(.*\n){2}/, '')), []);
  });

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
