import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageDir } from '../../src/util/paths.js';

/**
 * The reference side of the parity tests: the same TF.js weights run by @tensorflow/tfjs on its pure-JS
 * CPU backend, through face-api's own network code and tfjs' own graph executor.
 */
const require = createRequire(import.meta.url);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

let cached: Promise<{ faceapi: Any; tf: Any }> | undefined;

export function loadReference(): Promise<{ faceapi: Any; tf: Any }> {
  cached ??= (async () => {
    const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
    const tf = faceapi.tf;
    await tf.setBackend('cpu');
    await tf.ready();
    const dir = join(packageDir('@vladmandic/face-api'), 'model');
    await faceapi.nets.faceExpressionNet.loadFromDisk(dir);
    await faceapi.nets.faceLandmark68Net.loadFromDisk(dir);
    await faceapi.nets.tinyFaceDetector.loadFromDisk(dir);
    await faceapi.nets.faceRecognitionNet.loadFromDisk(dir);
    return { faceapi, tf };
  })();
  return cached;
}

/** One of human's TF.js graph models (`emotion`, `blazeface`), run by tfjs' own graph executor. */
export async function loadHumanGraph(tf: Any, name: string): Promise<Any> {
  const dir = join(packageDir('@vladmandic/human'), 'models');
  const json = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
  const bin = readFileSync(join(dir, `${name}.bin`));
  return tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }),
  );
}

export const loadHumanEmotionGraph = (tf: Any): Promise<Any> => loadHumanGraph(tf, 'emotion');
