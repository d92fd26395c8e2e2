import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../util/paths.js';
import { addFaceApiFeatureNet } from './faceApiFeatureNet.js';
import { addFaceRecognitionNet, FACE_RECOGNITION_INPUT_SIZE } from './faceRecognitionNet.js';
import { buildEnsembleGraph, buildStackedHeadsGraph, readHeads } from './baggedEnsembleGraph.js';
import { buildOpencvFerFeatures, OPENCV_FER_FEATURES, OPENCV_FER_MODEL } from './opencvFerFeatures.js';
import { OnnxGraphBuilder } from './onnxGraphBuilder.js';
import { addTfjsGraph, loadTfjsGraph } from './tfjsGraphConverter.js';
import { readTfjsWeightsManifest, type WeightMap } from './tfjsWeights.js';
import { addTinyFaceDetectorNet } from './tinyFaceDetectorNet.js';
import { FACE_API_EXPRESSION, FACE_API_LANDMARKS, FACE_API_RECOGNITION, HUMAN_BLAZEFACE, HUMAN_EMOTION, shards, TINY_FACE } from './modelSources.js';
import { addTrunk, CROP_SHAPE, cropToHumanEmotionInput, HUMAN_EMOTION_INPUT_SIZE, TRUNK_FEATURE_SIZES, trunkSources } from './trunkGraph.js';

/**
 * The pretrained networks fer-stream builds from MIT-licensed TF.js weights shipped in npm packages.
 * Each entry names its source files (hashed to invalidate the cache) and builds one ONNX graph.
 *
 * Members (`member-*`) are the multi-task networks of the paper: one graph, one face crop in, two outputs
 * out — expression probabilities (emotion branch) and 68 landmarks (appearance branch).
 */
export interface BuiltinModel {
  id: string;
  description: string;
  sources: () => string[];
  build: () => Uint8Array;
}

export const BLAZEFACE_INPUT_SIZE = 256;

/** The default ensemble's trained heads (`npm run train:default` writes them; docs/training.md has the recipe). */
export const DEFAULT_HEADS = () => join(PACKAGE_ROOT, 'config', 'default-heads', 'heads.json');
/** The accurate ensemble's heads, on the trunk's and OpenCV Zoo's features (`npm run train:accurate`). */
export const ACCURATE_HEADS = () => join(PACKAGE_ROOT, 'config', 'accurate-heads', 'heads.json');

function faceApiHead(g: OnnxGraphBuilder, weights: WeightMap, input: string, scope: string): string {
  return g.scope(scope, () => addFaceApiFeatureNet(g, weights, input));
}

function faceApiExpression(g: OnnxGraphBuilder, input: string): string {
  const logits = faceApiHead(g, readTfjsWeightsManifest(FACE_API_EXPRESSION()), input, 'face_api_expression');
  return g.node('Softmax', [logits], { attrs: { axis: -1 } });
}

/** face-api's 68 landmarks, (x, y) interleaved, relative (0..1) to the square crop. */
function faceApiLandmarks(g: OnnxGraphBuilder, input: string): string {
  return faceApiHead(g, readTfjsWeightsManifest(FACE_API_LANDMARKS()), input, 'face_api_landmarks');
}

/** human's emotion net on a [N,1,64,64] tensor already in human's (gray - 0.5) * 2 range. */
function humanEmotion(g: OnnxGraphBuilder, gray: string): string {
  const graph = loadTfjsGraph(HUMAN_EMOTION());
  return g.scope('human_emotion', () => addTfjsGraph(g, graph, { input_1: gray }, ['Identity']).Identity);
}

export const BUILTIN_MODELS: BuiltinModel[] = [
  {
    id: 'face-api-expression',
    description: 'face-api FaceExpressionNet: [N,3,112,112] RGB 0..255 -> expression [N,7]',
    sources: () => shards(FACE_API_EXPRESSION(), ['face_expression_model.bin']),
    build() {
      const g = new OnnxGraphBuilder();
      const input = g.input('input', CROP_SHAPE);
      g.output(faceApiExpression(g, input), 'expression', ['batch', 7]);
      return g.encode('face-api-expression', this.description);
    },
  },
  {
    id: 'face-api-landmark68',
    description: 'face-api FaceLandmark68Net: [N,3,112,112] RGB 0..255 -> landmarks [N,136] relative to the crop',
    sources: () => shards(FACE_API_LANDMARKS(), ['face_landmark_68_model.bin']),
    build() {
      const g = new OnnxGraphBuilder();
      const input = g.input('input', CROP_SHAPE);
      g.output(faceApiLandmarks(g, input), 'landmarks', ['batch', 136]);
      return g.encode('face-api-landmark68', this.description);
    },
  },
  {
    id: 'human-emotion',
    description: "human's emotion net (oarriaga mini-Xception): [N,1,64,64] (gray/255-0.5)*2 -> expression [N,7]",
    sources: () => shards(HUMAN_EMOTION(), ['emotion.bin']),
    build() {
      const g = new OnnxGraphBuilder();
      const input = g.input('input', ['batch', 1, HUMAN_EMOTION_INPUT_SIZE, HUMAN_EMOTION_INPUT_SIZE]);
      g.output(humanEmotion(g, input), 'expression', ['batch', 7]);
      return g.encode('human-emotion', this.description);
    },
  },
  {
    id: 'blazeface',
    description:
      "human's BlazeFace (back camera model): [N,3,256,256] RGB 0..255 -> per anchor score logits and 16 regressors " +
      '(box centre offset, size, 6 keypoints) for the 512 anchors of the stride-16 grid and the 384 of stride 32',
    sources: () => shards(HUMAN_BLAZEFACE(), ['blazeface.bin']),
    build() {
      const g = new OnnxGraphBuilder();
      const input = g.input('input', ['batch', 3, BLAZEFACE_INPUT_SIZE, BLAZEFACE_INPUT_SIZE]);
      // human feeds it x / 127.5 - 1
      const scaled = g.node('Sub', [g.node('Mul', [input, g.constant('inv_127_5', [1 / 127.5], [1])]), g.constant('one', [1], [1])]);
      const graph = loadTfjsGraph(HUMAN_BLAZEFACE());
      const out = g.scope('blazeface', () => addTfjsGraph(g, graph, { input: scaled }, ['Identity', 'Identity_1', 'Identity_2', 'Identity_3']));
      g.output(out.Identity, 'scores16', ['batch', 512, 1]);
      g.output(out.Identity_1, 'scores32', ['batch', 384, 1]);
      g.output(out.Identity_2, 'regressors16', ['batch', 512, 16]);
      g.output(out.Identity_3, 'regressors32', ['batch', 384, 16]);
      return g.encode('blazeface', this.description);
    },
  },
  {
    id: 'tiny-face-detector',
    description:
      'face-api TinyFaceDetector: [N,H,W,3] RGB 0..255, pixel-interleaved as decoded (H, W multiples of 32) -> YOLO grid NHWC [N,H/32,W/32,25]',
    sources: () => shards(TINY_FACE(), ['tiny_face_detector_model.bin']),
    build() {
      const g = new OnnxGraphBuilder();
      // Interleaved pixels, as sharp and the decoder give them: the caller posts them as bytes (widened on the
      // inference worker), with no per-pixel loop to planes on the main thread; the network's own layout is
      // one Transpose away.
      const pixels = g.input('input', ['batch', 'height', 'width', 3]);
      const input = g.node('Transpose', [pixels], { attrs: { perm: [0, 3, 1, 2] } });
      const grid = g.scope('tiny_face', () => addTinyFaceDetectorNet(g, readTfjsWeightsManifest(TINY_FACE()), input));
      g.output(grid, 'grid', ['batch', 'rows', 'cols', 25]);
      return g.encode('tiny-face-detector', this.description);
    },
  },
  {
    id: 'face-recognition',
    description: 'face-api FaceRecognitionNet (ResNet-34): [N,3,150,150] RGB 0..255 -> descriptor [N,128], Euclidean distance < 0.6 ~ same person',
    sources: () => shards(FACE_API_RECOGNITION(), ['face_recognition_model.bin']),
    build() {
      const g = new OnnxGraphBuilder();
      const input = g.input('input', ['batch', 3, FACE_RECOGNITION_INPUT_SIZE, FACE_RECOGNITION_INPUT_SIZE]);
      const descriptor = g.scope('face_recognition', () => addFaceRecognitionNet(g, readTfjsWeightsManifest(FACE_API_RECOGNITION()), input));
      g.output(descriptor, 'descriptor', ['batch', 128]);
      return g.encode('face-recognition', this.description);
    },
  },
  {
    id: 'trunk-features',
    description:
      'the default members\' frozen branches on one 112x112 RGB crop, each run once: features of face-api\'s expression and landmark nets and of human\'s emotion net (256 each), both expression outputs and the 68 landmarks',
    sources: () => trunkSources(),
    build() {
      const g = new OnnxGraphBuilder();
      const t = addTrunk(g, g.input('crop', CROP_SHAPE));
      for (const [name, tensor] of Object.entries(t.features)) g.output(tensor, name, ['batch', 256]);
      g.output(t.faceApiProbs, 'faceApiProbs', ['batch', 7]);
      g.output(t.humanProbs, 'humanProbs', ['batch', 7]);
      g.output(t.landmarks, 'landmarks', ['batch', 136]);
      return g.encode('trunk-features', this.description);
    },
  },
  {
    id: 'bagged-default',
    description:
      'the default bagged ensemble: the frozen trunk once per face, the trained heads of config/default-heads, their soft vote blended with the pretrained members\' vote; [N,3,112,112] RGB 0..255 -> expression [N,7] (CANONICAL_LABELS order), landmarks [N,136]',
    sources: () => [
      ...trunkSources(),
      DEFAULT_HEADS(),
      DEFAULT_HEADS().replace(/\.json$/, '.bin'),
    ],
    build() {
      const { members, fusion, bias } = readHeads(DEFAULT_HEADS());
      return buildEnsembleGraph(members, fusion, this.description, bias);
    },
  },
  {
    id: 'opencv-fer-features',
    description:
      "OpenCV Zoo's expression net (MobileFaceNet on RAF-DB, Apache-2.0, models/opencv-fer) as float weights, any batch, with its 512-value embedding exposed: [N,3,112,112] aligned RGB (x/255-0.5)/0.5 -> label [N,7], features [N,512]",
    sources: () => [OPENCV_FER_MODEL()],
    build: buildOpencvFerFeatures,
  },
  {
    id: 'bagged-accurate-heads',
    description:
      "the accurate ensemble's trained heads (config/accurate-heads), their soft vote and the blend with the pretrained vote, as a stacked member: the trunk's feature sets and pretrained probabilities and OpenCV Zoo's features in -> expression [N,7], bagged [N,7]",
    sources: () => [ACCURATE_HEADS(), ACCURATE_HEADS().replace(/\.json$/, '.bin')],
    build() {
      const { members, fusion, bias } = readHeads(ACCURATE_HEADS());
      return buildStackedHeadsGraph(members, fusion, { ...TRUNK_FEATURE_SIZES, 'opencv-fer': OPENCV_FER_FEATURES }, this.description, bias);
    },
  },
  {
    id: 'member-face-api',
    description: 'multi-task member: face-api expression branch + face-api 68-landmark branch on one 112x112 RGB crop',
    sources: () => [
      ...shards(FACE_API_EXPRESSION(), ['face_expression_model.bin']),
      ...shards(FACE_API_LANDMARKS(), ['face_landmark_68_model.bin']),
    ],
    build() {
      const g = new OnnxGraphBuilder();
      const crop = g.input('crop', CROP_SHAPE);
      g.output(faceApiExpression(g, crop), 'expression', ['batch', 7]);
      g.output(faceApiLandmarks(g, crop), 'landmarks', ['batch', 136]);
      return g.encode('member-face-api', this.description);
    },
  },
  {
    id: 'member-human',
    description: "multi-task member: human's emotion branch (64x64 gray) + face-api 68-landmark branch on one 112x112 RGB crop",
    sources: () => [...shards(HUMAN_EMOTION(), ['emotion.bin']), ...shards(FACE_API_LANDMARKS(), ['face_landmark_68_model.bin'])],
    build() {
      const g = new OnnxGraphBuilder();
      const crop = g.input('crop', CROP_SHAPE);
      g.output(humanEmotion(g, cropToHumanEmotionInput(g, crop)), 'expression', ['batch', 7]);
      g.output(faceApiLandmarks(g, crop), 'landmarks', ['batch', 136]);
      return g.encode('member-human', this.description);
    },
  },
];
