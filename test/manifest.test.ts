import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DEFAULT_MANIFEST } from '../src/models/defaultManifest.js';
import { Ensemble } from '../src/models/ensemble.js';
import { loadManifest, ManifestError, parseManifest } from '../src/models/manifest.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { shared, SHARED_MISSING } from './helpers/sharedData.js';

const dir = mkdtempSync(join(tmpdir(), 'fer-manifest-'));
const member = (over: Record<string, unknown> = {}) => ({
  name: 'm',
  model: 'builtin:member-face-api',
  input: { width: 112, height: 112, layout: 'NCHW', color: 'RGB' },
  outputs: { expression: 'expression' },
  labels: ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'],
  ...over,
});
const write = (name: string, body: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body));
  return p;
};

describe('ensemble manifest', () => {
  const pool = new InferencePool();
  after(() => pool.close());

  test('the default manifest loads, validated against its models (one graph: the bagged ensemble and its landmarks)', async () => {
    const m = loadManifest(DEFAULT_MANIFEST);
    assert.ok(m.members.length >= 1);
    assert.ok(
      m.members.some((x) => x.outputs.landmarks),
      'landmarks for tracking and alignment',
    );
    const e = await Ensemble.load(m, pool, 'cpu');
    assert.deepEqual(
      Object.keys(e.providers),
      m.members.map((x) => x.name),
    );
  });

  test('bundled manifests load by name (a file of that name wins): "accurate" is a stacked ensemble', () => {
    const m = loadManifest('accurate');
    assert.match(m.source, /config\/accurate-ensemble\.json$/);
    assert.deepEqual(
      m.members.map((x) => [x.name, x.kind, x.weight]),
      [
        ['trunk', 'image', 0],
        ['opencv-fer', 'image', 0],
        ['bagged', 'stacked', 1],
      ],
    );
    assert.equal(loadManifest('default').source, DEFAULT_MANIFEST);
    write('accurate', { name: 'mine', members: [member()] });
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      assert.equal(loadManifest('accurate').name, 'mine', 'a file named accurate in the working folder');
    } finally {
      process.chdir(cwd);
    }
  });

  test('rejects a manifest whose model file is missing, naming members[0].model', () => {
    const p = write('missing.json', { name: 'x', members: [member({ model: 'nope.onnx' })] });
    assert.throws(
      () => loadManifest(p),
      (e: Error) => e instanceof ManifestError && /members\[0\]\.model: model file not found/.test(e.message),
    );
  });

  test('rejects an unknown label, naming the label field', () => {
    assert.throws(
      () => parseManifest({ name: 'x', members: [member({ labels: ['neutral', 'contempt'] })] }, 'm.json'),
      /members\[0\]\.labels\[1\]: unknown label "contempt"/,
    );
  });

  test('rejects a duplicate label (synonyms count), naming the field', () => {
    assert.throws(
      () => parseManifest({ name: 'x', members: [member({ labels: ['happy', 'Happiness'] })] }, 'm.json'),
      /members\[0\]\.labels\[1\]: duplicate label "Happiness"/,
    );
  });

  test('rejects a missing field and a bad value, naming them', () => {
    assert.throws(() => parseManifest({ name: 'x', members: [member({ input: undefined })] }, 'm.json'), /members\[0\]\.input/);
    assert.throws(
      () => parseManifest({ name: 'x', members: [member({ input: { width: 112, height: 112, layout: 'CHW', color: 'RGB' } })] }, 'm.json'),
      /members\[0\]\.input\.layout/,
    );
    assert.throws(() => parseManifest({ name: 'x', members: [member({ extra: 1 })] }, 'm.json'), /members\[0\]/);
  });

  test('rejects a wrong input shape when the model loads, naming members[0].input', async () => {
    const m = parseManifest(
      { name: 'shape', members: [member({ input: { width: 64, height: 64, layout: 'NCHW', color: 'RGB' } })] },
      join(dir, 'shape.json'),
    );
    await assert.rejects(
      Ensemble.load(m, pool, 'cpu'),
      /members\[0\]\.input: declares NCHW \[N,3,64,64\] but the model's input "crop" is \[batch,3,112,112\]/,
    );
  });

  test('rejects a label count that does not match the output, and an unknown output name', async () => {
    const few = parseManifest({ name: 'few', members: [member({ labels: ['neutral', 'happy', 'sad'] })] }, join(dir, 'few.json'));
    await assert.rejects(Ensemble.load(few, pool, 'cpu'), /members\[0\]\.labels: lists 3 labels but output "expression" has 7 classes/);
    const out = parseManifest({ name: 'out', members: [member({ outputs: { expression: 'probs' } })] }, join(dir, 'out.json'));
    await assert.rejects(Ensemble.load(out, pool, 'cpu'), /members\[0\]\.outputs\.expression: model has no output "probs"/);
  });

  test('reads YAML and rejects unparseable files', () => {
    const yaml = write(
      'm.yaml',
      `name: y\nmembers:\n  - name: a\n    model: builtin:member-human\n    input: {width: 112, height: 112, layout: NCHW, color: RGB}\n    outputs: {expression: expression}\n    labels: [angry, disgust, fear, happy, sad, surprise, neutral]\n`,
    );
    assert.equal(loadManifest(yaml).members[0].canonical[0], 'anger');
    assert.throws(() => loadManifest(write('bad.json', '{"name": ')), /\(file\): cannot parse/);
  });

  test(
    'a user model (mini-XCEPTION: NHWC 48x48 gray, its own label order) joins by manifest alone',
    { skip: !shared('model_mini_xception') && SHARED_MISSING },
    async () => {
      const model = shared('model_mini_xception', 'fer2013_mini_XCEPTION.onnx')!;
      const p = write('mini.json', {
        name: 'with-mini-xception',
        members: [
          member({ name: 'face-api', outputs: { expression: 'expression', landmarks: 'landmarks' } }),
          {
            name: 'mini-xception',
            model,
            input: { width: 48, height: 48, layout: 'NHWC', color: 'GRAY', scale: 1 / 255, mean: [0.5], std: [0.5] },
            outputs: { expression: 'predictions' },
            labels: ['Angry', 'Disgust', 'Fear', 'Happy', 'Sad', 'Surprise', 'Neutral'],
          },
        ],
      });
      const e = await Ensemble.load(loadManifest(p), pool, 'cpu');
      assert.deepEqual(Object.keys(e.providers), ['face-api', 'mini-xception']);
    },
  );
});
