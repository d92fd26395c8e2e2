import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ensureBuiltinModel } from '../src/models/import/modelImporter.js';
import { DeviceUnavailableError, parseDevice } from '../src/models/ort/device.js';
import { InferencePool, isDeviceUnavailable, QueueFullError } from '../src/models/ort/inferencePool.js';

describe('ONNX Runtime boundary', () => {
  const pool = new InferencePool({ maxQueue: 2, perWorker: 1 });
  after(() => pool.close());
  const model = ensureBuiltinModel('member-face-api');
  const crop = (n: number) => ({ crop: { data: new Float32Array(n * 3 * 112 * 112).fill(128), dims: [n, 3, 112, 112] } });

  test('--device auto picks the CPU here and says why', async () => {
    const info = await pool.load('m', model, 'auto');
    assert.equal(info.provider, 'cpu');
    assert.match(info.fallbackReason ?? '', /CUDA provider/);
  });

  test('an explicit --device cuda that cannot load fails with how to install it', async () => {
    for (const device of ['cuda', 'tensorrt'] as const) {
      const err = await pool.load(`gpu-${device}`, model, device).then(
        () => undefined,
        (e: Error) => e,
      );
      assert.ok(err && isDeviceUnavailable(err), `expected DeviceUnavailableError for ${device}, got ${err}`);
      assert.match(err.message, /onnxruntime-node-install=cuda12/);
      assert.match(err.message, new RegExp(`--device ${device}`));
    }
    assert.ok(new DeviceUnavailableError('cuda', 'x') instanceof Error);
  });

  test('rejects an unknown --device value naming it', () => {
    assert.throws(() => parseDevice('gpu'), /--device: expected one of auto, cpu, cuda, tensorrt, webgpu, got "gpu"/);
  });

  test('inference runs off the main thread: timers keep firing during a large batch', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = performance.now();
    const out = await pool.run('m', crop(64));
    const elapsed = performance.now() - started;
    clearInterval(timer);
    assert.deepEqual(out.expression.dims, [64, 7]);
    assert.ok(elapsed > 50, `batch took ${elapsed} ms; too short to tell`);
    assert.ok(ticks >= elapsed / 5 / 4, `${ticks} ticks in ${elapsed.toFixed(0)} ms: main thread was blocked`);
  });

  test('the queue is bounded: run() past maxQueue rejects, capacity() waits for room', async () => {
    const running = [pool.run('m', crop(8)), pool.run('m', crop(8)), pool.run('m', crop(8))];
    await assert.rejects(pool.run('m', crop(1)), QueueFullError);
    await pool.capacity();
    assert.ok(pool.pending <= 3);
    await Promise.all(running);
    assert.equal(pool.pending, 0);
  });

  test('runWhenRoom: producers that share the pool wait in line for room instead of overfilling it', async () => {
    // Ten requests from concurrent producers against a queue of two: run() would reject eight of them.
    const outs = await Promise.all(Array.from({ length: 10 }, () => pool.runWhenRoom('m', crop(1))));
    assert.equal(outs.length, 10);
    for (const out of outs) assert.deepEqual(out.expression.dims, [1, 7]);
    assert.equal(pool.pending, 0);
  });

  test('batched results equal one-at-a-time results', async () => {
    const batch = new Float32Array(3 * 3 * 112 * 112);
    for (let i = 0; i < batch.length; i++) batch[i] = (i * 7919) % 256;
    const whole = await pool.run('m', { crop: { data: batch.slice(), dims: [3, 3, 112, 112] } });
    const n = 3 * 112 * 112;
    for (let k = 0; k < 3; k++) {
      const one = await pool.run('m', { crop: { data: batch.slice(k * n, (k + 1) * n), dims: [1, 3, 112, 112] } });
      for (let j = 0; j < 7; j++) assert.ok(Math.abs(one.expression.data[j] - whole.expression.data[k * 7 + j]) < 1e-5);
    }
  });

  test('a crashed worker is replaced: it reloads its models, runs again, and the pool says it restarted', async () => {
    const p = new InferencePool({ workers: 2 });
    try {
      await p.load('m', model, 'cpu');
      await p.load('rare', model, 'cpu', { workers: 1 });
      // As a native fault in ONNX Runtime would: the thread is gone without a goodbye.
      await (p as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots[0].worker.terminate();
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(p.restarts.count, 1);
      assert.match(p.restarts.lastError ?? '', /inference worker exited/);
      const outs = await Promise.all([p.run('m', crop(1)), p.run('m', crop(2)), p.run('rare', crop(1))]);
      assert.deepEqual(
        outs.map((o) => o.expression.dims[0]),
        [1, 2, 1],
      );
      assert.ok(p.healthy);
    } finally {
      await p.close();
    }
  });

  test('a model loaded into some workers runs only on them', async () => {
    const p = new InferencePool({ workers: 2, perWorker: 1 });
    try {
      await p.load('rare', model, 'cpu', { workers: 1 });
      const outs = await Promise.all(Array.from({ length: 4 }, () => p.run('rare', crop(1))));
      assert.equal(outs.length, 4);
      await assert.rejects(p.run('never-loaded', crop(1)), /model never-loaded is not loaded/);
    } finally {
      await p.close();
    }
  });

  test('close() is idempotent and later runs reject', async () => {
    const p = new InferencePool();
    await Promise.all([p.close(), p.close()]);
    await assert.rejects(p.run('m', crop(1)), /closed/);
  });
});
