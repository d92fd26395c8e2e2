import type { Box } from '../image/rgbImage.js';

/**
 * Least spans of a face's 68 landmarks across the box the detector drew, as fractions of the box width.
 * On real faces (shared videos, 1,674 detector-frame faces, 2nd percentile) the outer eye corners span
 * >= 0.20 of the box and the jaw (points 0 to 16) >= 0.64; on synthetic patterns the detector takes for a
 * face (ffmpeg's testsrc, score up to 0.99) the landmark net puts a small, collapsed face inside the box:
 * eye span 0.04-0.08 and jaw 0.20-0.43 (medians). The limits sit between, nearer the false side, so that
 * turned and partly hidden faces keep their margin. `npm run bench:false-faces` measures both sides.
 */
export const MIN_EYE_SPAN = 0.15;
export const MIN_JAW_SPAN = 0.5;
/**
 * A face seen for the first time must fill its box more clearly: one testsrc frame at 3840x2160 passes the
 * limits above (eye 0.21, jaw 0.53) and would start a track that the landmarks then follow. The jaw stops it;
 * the eye limit was 0.22 until a three-quarter face on real footage was refused at every first sight (composite
 * people1's audience woman, eye 0.17-0.21, jaw 0.56-0.62, at five detections in 40 frames): at 0.17 the negatives
 * of `npm run bench:false-faces` still give no face, and composites 1-24 gain (docs/tracking.md).
 */
export const MIN_NEW_EYE_SPAN = 0.17;
export const MIN_NEW_JAW_SPAN = 0.58;
/**
 * A face seen this clearly (eyes and jaw across its box as a frontal face's are) gives an appearance descriptor
 * fit to say who it is; a turned face's descriptor is not (see `isClearView`).
 */
export const CLEAR_EYE_SPAN = 0.22;
export const CLEAR_JAW_SPAN = 0.58;

const dist = (p: Float32Array, a: number, b: number) => Math.hypot(p[2 * b] - p[2 * a], p[2 * b + 1] - p[2 * a + 1]);

/** How far a box's landmarks spread across it: eye corners (36 to 45) and jaw (0 to 16), over the box width. */
export function landmarkSpans(landmarks: Float32Array, box: Box): { eye: number; jaw: number } {
  return { eye: dist(landmarks, 36, 45) / box.width, jaw: dist(landmarks, 0, 16) / box.width };
}

/**
 * Whether the members' 68 landmarks, placed in a detector's box, fill it as a face does. The evidence is
 * computed anyway (the appearance branch of every member), so the check costs nothing, and it does not
 * depend on resolution as the detector's score does. `firstSight`: the stricter limits for a new face.
 */
export function looksLikeFace(landmarks: Float32Array, box: Box, firstSight = false): boolean {
  const { eye, jaw } = landmarkSpans(landmarks, box);
  return firstSight ? eye >= MIN_NEW_EYE_SPAN && jaw >= MIN_NEW_JAW_SPAN : eye >= MIN_EYE_SPAN && jaw >= MIN_JAW_SPAN;
}

/**
 * Whether a face's landmarks show it clearly enough (nearly frontal) for its appearance descriptor to identify
 * it: a turned face's descriptor lies nearer other people's (a three-quarter view of one woman matched a man's
 * gallery entry on composite people22), so re-identification uses only clear views.
 */
export function isClearView(landmarks: Float32Array, box: Box): boolean {
  const { eye, jaw } = landmarkSpans(landmarks, box);
  return eye >= CLEAR_EYE_SPAN && jaw >= CLEAR_JAW_SPAN;
}
