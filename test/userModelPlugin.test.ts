import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Ensemble } from '../src/models/ensemble.js';
import { CANONICAL_LABELS } from '../src/models/labels.js';
import { loadManifest } from '../src/models/manifest.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { argmaxOver } from '../src/models/labels.js';
import { listFaceCrops } from '../src/pipeline/faceCropSource.js';
import { scoreFaceCrops } from '../src/pipeline/scoreFaceCrops.js';
import { shared, SHARED_MISSING } from './helpers/sharedData.js';

const model = shared('model_mini_xception', 'fer2013_mini_XCEPTION.onnx');
const fer = shared('fer2013_test', 'test');

describe('a user-supplied member by manifest alone', { skip: !(model && fer) && SHARED_MISSING }, () => {
  const pool = new InferencePool();
  after(() => pool.close());

  // FER_FULL=1 scores all 7,024 images; by default the first 120 per class (sorted by name) keep it fast.
  test('mini-XCEPTION (NHWC 48x48 gray, (x/255-0.5)*2, its own label order) scores >= 60% on fer2013_test', async () => {
    const manifestPath = join(mkdtempSync(join(tmpdir(), 'fer-plugin-')), 'mini.json');
    writeFileSync(
      manifestPath,
      JSON.stringify({
        name: 'mini-xception',
        members: [
          {
            name: 'mini-xception',
            model,
            input: { width: 48, height: 48, layout: 'NHWC', color: 'GRAY', scale: 1 / 255, mean: [0.5], std: [0.5] },
            crop: { fit: 'stretch' },
            outputs: { expression: 'predictions' },
            labels: ['Angry', 'Disgust', 'Fear', 'Happy', 'Sad', 'Surprise', 'Neutral'],
          },
        ],
      }),
    );
    const ensemble = await Ensemble.load(loadManifest(manifestPath), pool, 'cpu');
    const perClass = new Map<string, number>();
    const items = listFaceCrops(fer!).filter((it) => {
      if (process.env.FER_FULL) return true;
      const n = perClass.get(it.label!) ?? 0;
      perClass.set(it.label!, n + 1);
      return n < 120;
    });
    const scored = await scoreFaceCrops(items, ensemble, { batchSize: 64 });
    const all = CANONICAL_LABELS.map((_, i) => i);
    const correct = scored.filter((s) => CANONICAL_LABELS[argmaxOver(s.prediction.probs, all)] === s.item.label).length;
    const accuracy = correct / scored.length;
    console.log(`mini-XCEPTION through fer-stream: ${(100 * accuracy).toFixed(1)}% on ${scored.length} fer2013_test images`);
    assert.ok(accuracy >= 0.6, `accuracy ${accuracy}`);
  });
});
