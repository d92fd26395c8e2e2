import type { CropSpec } from './inputSpec.js';
import type { Box } from './rgbImage.js';

/**
 * The image region a member sees for one face. With a box (a detected face), the box grows by `margin`
 * on each side; without one (the input is a face crop already), the region is the whole image.
 * `pad` then makes it a square centred on the face, as face-api does before its 112x112 resize.
 */
export function cropRegion(imageWidth: number, imageHeight: number, box: Box | undefined, crop: CropSpec): Box {
  let r: Box = box
    ? {
        x: box.x - box.width * crop.margin,
        y: box.y - box.height * crop.margin,
        width: box.width * (1 + 2 * crop.margin),
        height: box.height * (1 + 2 * crop.margin),
      }
    : { x: 0, y: 0, width: imageWidth, height: imageHeight };
  if (crop.fit === 'pad' && r.width !== r.height) {
    const side = Math.max(r.width, r.height);
    r = { x: r.x + (r.width - side) / 2, y: r.y + (r.height - side) / 2, width: side, height: side };
  }
  return r;
}
