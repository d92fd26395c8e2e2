import { join } from 'node:path';
import { packageDir } from '../../util/paths.js';

/** Where the TF.js weights fer-stream imports come from: files of the installed npm packages. */

export const faceApiModel = (file: string) => join(packageDir('@vladmandic/face-api'), 'model', file);
export const humanModel = (file: string) => join(packageDir('@vladmandic/human'), 'models', file);

export const FACE_API_EXPRESSION = () => faceApiModel('face_expression_model-weights_manifest.json');
export const FACE_API_LANDMARKS = () => faceApiModel('face_landmark_68_model-weights_manifest.json');
export const FACE_API_RECOGNITION = () => faceApiModel('face_recognition_model-weights_manifest.json');
export const TINY_FACE = () => faceApiModel('tiny_face_detector_model-weights_manifest.json');
export const HUMAN_EMOTION = () => humanModel('emotion.json');
export const HUMAN_BLAZEFACE = () => humanModel('blazeface.json');

/** A TF.js weights manifest and its shard files: what a built model is hashed on. */
export const shards = (manifest: string, bins: string[]) => [manifest, ...bins.map((b) => join(manifest, '..', b))];
