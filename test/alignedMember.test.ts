import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { decodeImageFile } from '../src/image/decodeImage.js';
import { Ensemble } from '../src/models/ensemble.js';
import { canonicalLabel, CANONICAL_LABELS } from '../src/models/labels.js';
import { loadManifest, parseManifest } from '../src/models/manifest.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { SHARED_MISSING, shared } from './helpers/sharedData.js';

const EXAMPLE = join(PACKAGE_ROOT, 'config', 'examples', 'opencv-fer-aligned.json');

describe('members aligned by 5 points, and models with a fixed batch of 1', () => {
  const pool = new InferencePool();
  after(() => pool.close());

  test('a member with align needs another member that gives landmarks', () => {
    const member = (name: string, extra: object) => ({
      name,
      model: 'builtin:member-face-api',
      input: { width: 112, height: 112, layout: 'NCHW', color: 'RGB' },
      outputs: { expression: 'expression' },
      labels: ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'],
      ...extra,
    });
    const align = {
      align: {
        template: [
          [38, 51],
          [73, 51],
          [56, 71],
          [41, 92],
          [70, 92],
        ],
      },
    };
    assert.throws(
      () => parseManifest({ name: 'x', members: [member('a', align), member('b', {})] }, '/m.json'),
      /members\[0\]\.align: needs landmarks from another member/,
    );
    assert.throws(
      () => parseManifest({ name: 'x', members: [member('a', { align: { template: [[1, 2]] } })] }, '/m.json'),
      /members\[0\]\.align\.template/,
    );
  });

  const faces = shared('expression_examples', 'expressions');
  test(
    "OpenCV Zoo's expression net (batch of 1, int8) aligned on the landmarks of the other members, in one call for 7 faces",
    { skip: faces ? false : SHARED_MISSING },
    async () => {
      const ensemble = await Ensemble.load(loadManifest(EXAMPLE), pool, 'cpu');
      const names = ['angry', 'disgusted', 'fearful', 'happy', 'neutral', 'sad', 'surprised'];
      const images = await Promise.all(names.map((n) => decodeImageFile(join(faces!, `${n}.jpg`))));
      const preds = await ensemble.predict(images.map((image) => ({ image })));
      assert.equal(preds.length, 7);
      for (const p of preds) {
        assert.equal(p.members.length, 3);
        const sum = p.members[2].reduce((a, v) => a + v, 0);
        assert.ok(Math.abs(sum - 1) < 1e-4, `the aligned member's probabilities sum to 1 (${sum})`);
        assert.ok(p.landmarks, 'landmarks from the first-stage members');
      }
      // The aligned member reads these posed faces well: most of the seven are its own top class.
      const argmax = (p: Float64Array) => p.indexOf(Math.max(...p));
      const hits = preds.filter((p, i) => argmax(p.members[2]) === CANONICAL_LABELS.indexOf(canonicalLabel(names[i])!)).length;
      assert.ok(hits >= 4, `aligned: ${hits} of 7 right`);
    },
  );
  test(
    "a fixed-batch member with two batches in flight, each larger than the pool's queue (crop scoring pipelines batches)",
    { skip: faces ? false : SHARED_MISSING },
    async () => {
      const ensemble = await Ensemble.load(loadManifest(EXAMPLE), pool, 'cpu');
      const image = await decodeImageFile(join(faces!, 'happy.jpg'));
      const batch = Array.from({ length: 12 }, () => ({ image })); // 12 one-face requests each; the queue holds 8
      const [a, b] = await Promise.all([ensemble.predict(batch), ensemble.predict(batch)]);
      assert.equal(a.length + b.length, 24);
      assert.deepEqual(a[11].members[2], b[0].members[2]);
    },
  );
});
