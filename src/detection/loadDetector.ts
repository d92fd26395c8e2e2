import type { Device } from '../models/ort/device.js';
import type { InferencePool } from '../models/ort/inferencePool.js';
import { BlazeFaceDetector } from './blazeFaceDetector.js';
import { TinyFaceDetector } from './tinyFaceDetector.js';
import type { Detector } from './detector.js';

export type DetectorKind = 'tiny' | 'blazeface';

/** The video commands' detector by name: the tiny detector at `inputSize` (default 608 then 320), or BlazeFace. */
export function loadDetector(pool: InferencePool, device: Device, kind: DetectorKind, inputSize: number[] = [608, 320]): Promise<Detector> {
  return kind === 'blazeface' ? BlazeFaceDetector.load(pool, device) : TinyFaceDetector.load(pool, device, { inputSize });
}
