import { cropRegion } from '../image/cropRegion.js';
import { resampleToTensor } from '../image/resampleToTensor.js';
import type { FaceInput } from './ensemble.js';
import { faceChip } from './faceChip.js';
import { FACE_RECOGNITION_INPUT_SIZE } from './import/faceRecognitionNet.js';
import { ensureBuiltinModel } from './import/modelImporter.js';
import type { InputSpec } from './manifest.js';
import type { Device } from './ort/device.js';
import type { InferencePool } from './ort/inferencePool.js';

/** A face to describe; with its 68 landmarks (image pixels) it is aligned on the net's template (faceChip.ts). */
export interface FaceToDescribe extends FaceInput {
  landmarks?: Float32Array;
}

const MODEL_KEY = 'builtin/face-recognition';

/** 150x150 RGB 0..255; a face without landmarks is framed as face-api frames it: its box, padded to a centred square. */
const INPUT: InputSpec = { width: FACE_RECOGNITION_INPUT_SIZE, height: FACE_RECOGNITION_INPUT_SIZE, layout: 'NCHW', color: 'RGB', scale: 1, mean: [0], std: [1] };
const CROP = { fit: 'pad', margin: 0 } as const;

/**
 * 128-d appearance descriptors of faces (face-api's recognition net, imported to ONNX), for telling a
 * returning person from a new one. About ten times a member's cost per face, so the tracker asks for one
 * only when a track needs it (a new track, an old sample), never for every face of every frame.
 */
export class FaceDescriber {
  private constructor(private readonly pool: InferencePool) {}

  static async load(pool: InferencePool, device: Device): Promise<FaceDescriber> {
    // One worker holds it: it runs for new tracks only (a few calls a second), and each copy costs about 75 MB.
    await pool.load(MODEL_KEY, ensureBuiltinModel('face-recognition'), device, { workers: 1 });
    return new FaceDescriber(pool);
  }

  async describe(faces: FaceToDescribe[]): Promise<Float32Array[]> {
    if (faces.length === 0) return [];
    const size = 3 * FACE_RECOGNITION_INPUT_SIZE * FACE_RECOGNITION_INPUT_SIZE;
    const batch = new Float32Array(size * faces.length);
    faces.forEach((face, i) => {
      const { region, angle } = face.landmarks
        ? faceChip(face.landmarks, FACE_RECOGNITION_INPUT_SIZE)
        : { region: cropRegion(face.image.width, face.image.height, face.box, CROP), angle: face.angle ?? 0 };
      resampleToTensor(face.image, region, INPUT, batch, i * size, angle);
    });
    const out = await this.pool.runWhenRoom(MODEL_KEY, { input: { data: batch, dims: [faces.length, 3, FACE_RECOGNITION_INPUT_SIZE, FACE_RECOGNITION_INPUT_SIZE] } });
    return faces.map((_, i) => out.descriptor.data.slice(i * 128, (i + 1) * 128));
  }
}
