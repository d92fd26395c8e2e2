import { dense } from './tfLayers.js';
import { addFaceApiFeatures, FACE_API_INPUT_SIZE } from './faceApiFeatureNet.js';
import { FACE_API_EXPRESSION, FACE_API_LANDMARKS, HUMAN_EMOTION, shards } from './modelSources.js';
import type { OnnxGraphBuilder } from './onnxGraphBuilder.js';
import { addTfjsGraph, loadTfjsGraph } from './tfjsGraphConverter.js';
import { readTfjsWeightsManifest } from './tfjsWeights.js';

/**
 * The trunk: the frozen pretrained branches every default member shares (face-api's expression and landmark
 * nets, human's emotion net), as one graph fragment, with the label orders of their outputs.
 */

/** face-api labels in its output order. */
export const FACE_API_EXPRESSION_LABELS = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'];
/** human's oarriaga emotion net labels in its output order (human/src/gear/emotion.ts). */
export const HUMAN_EMOTION_LABELS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
/** human converts RGB to gray with these weights before its emotion net. */
export const HUMAN_GRAY_WEIGHTS = [0.2989, 0.587, 0.114];
export const HUMAN_EMOTION_INPUT_SIZE = 64;

export const CROP_SHAPE = ['batch', 3, FACE_API_INPUT_SIZE, FACE_API_INPUT_SIZE];

/**
 * From a [N,3,112,112] RGB 0..255 crop to human's emotion input: bilinear resize to 64x64 the way
 * tf.image.resizeBilinear does (align_corners = half_pixel_centers = false, i.e. 'asymmetric'), weighted
 * gray, then (x/255 - 0.5) * 2.
 */
export function cropToHumanEmotionInput(g: OnnxGraphBuilder, crop: string): string {
  // Scales, not sizes computed from the input's shape: the Shape/Slice/Concat that sizes took ran on the CPU
  // under the WebGPU provider. The same resize: 112 x 64/112 is exactly 64, and ONNX Runtime derives its
  // coordinate scale from either the same way.
  const scale = HUMAN_EMOTION_INPUT_SIZE / FACE_API_INPUT_SIZE;
  const scales = g.constant('resize_scales', [1, 1, scale, scale], [4]);
  const resized = g.node('Resize', [crop, '', scales], {
    attrs: { mode: 'linear', coordinate_transformation_mode: 'asymmetric' },
  });
  const grayWeights = g.constant('gray_w', HUMAN_GRAY_WEIGHTS.map((w) => w / 255), [1, 3, 1, 1]);
  const gray = g.node('Conv', [resized, grayWeights], { attrs: { kernel_shape: [1, 1] } });
  return g.node('Mul', [g.node('Sub', [gray, g.constant('half', [0.5], [1])]), g.constant('two_f', [2], [1])]);
}

/** The penultimate layer of human's emotion net: after its last residual block, before the class convolution. */
const HUMAN_PENULTIMATE = 'StatefulPartitionedCall/model_1/add_2/add';

/** The frozen branches' outputs for one crop: what trained heads learn from, and the members' own outputs. */
export interface TrunkOutputs {
  /** [N,256] each: face-api expression net, face-api landmark net, human's emotion net (global average). */
  features: { faceApiExpression: string; faceApiLandmarks: string; human: string };
  /** [N,7] probabilities of the two pretrained expression branches, in their own label orders. */
  faceApiProbs: string;
  humanProbs: string;
  /** [N,136] landmarks relative to the crop. */
  landmarks: string;
}

export const trunkSources = () => [
  ...shards(FACE_API_EXPRESSION(), ['face_expression_model.bin']),
  ...shards(FACE_API_LANDMARKS(), ['face_landmark_68_model.bin']),
  ...shards(HUMAN_EMOTION(), ['emotion.bin']),
];

export const TRUNK_FEATURE_SIZES = { faceApiExpression: 256, faceApiLandmarks: 256, human: 256 } as const;

/**
 * The frozen branches of the default members on one [N,3,112,112] RGB 0..255 crop, each run once: face-api's
 * expression and landmark nets (features and outputs) and human's emotion net (features and probabilities).
 */
export function addTrunk(g: OnnxGraphBuilder, crop: string): TrunkOutputs {
  const expressionWeights = readTfjsWeightsManifest(FACE_API_EXPRESSION());
  const landmarkWeights = readTfjsWeightsManifest(FACE_API_LANDMARKS());
  const faceApiExpression = g.scope('face_api_expression', () => addFaceApiFeatures(g, expressionWeights, crop));
  const faceApiProbs = g.node('Softmax', [dense(g, faceApiExpression, expressionWeights.get('fc/weights')!, expressionWeights.get('fc/bias')!)], { attrs: { axis: -1 } });
  const faceApiLandmarks = g.scope('face_api_landmarks', () => addFaceApiFeatures(g, landmarkWeights, crop));
  const landmarks = dense(g, faceApiLandmarks, landmarkWeights.get('fc/weights')!, landmarkWeights.get('fc/bias')!);
  const graph = loadTfjsGraph(HUMAN_EMOTION());
  const gray = cropToHumanEmotionInput(g, crop);
  const human = g.scope('human_emotion', () => addTfjsGraph(g, graph, { input_1: gray }, ['Identity', HUMAN_PENULTIMATE]));
  // addTfjsGraph hands 4-D outputs back in TF's NHWC: the global average is over axes 1 and 2.
  const humanFeatures = g.node('ReduceMean', [human[HUMAN_PENULTIMATE]], { attrs: { axes: [1, 2], keepdims: 0 } });
  return { features: { faceApiExpression, faceApiLandmarks, human: humanFeatures }, faceApiProbs, humanProbs: human.Identity, landmarks };
}

