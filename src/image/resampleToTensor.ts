import type { InputSpec } from './inputSpec.js';
import { halveRegion } from './halveRegion.js';
import { channelTransform, GRAY, resampleUpright } from './resampleUpright.js';
import type { Box, RgbImage } from './rgbImage.js';

/**
 * Samples `region` of `image` straight into a model input tensor at `offset` (one batch slot), doing the
 * resize, colour order, normalisation and layout of `spec` in one pass. Pixels outside the image are 0
 * (the letterbox). Downscaling averages a grid of bilinear samples per output pixel, so a large face
 * shrunk to 48 or 112 px does not alias. `angle` (radians) turns the region about its centre: a face
 * rolled by `angle` in the image comes out upright (the similarity alignment of a tracked face).
 */
export function resampleToTensor(image: RgbImage, region: Box, spec: InputSpec, out: Float32Array, offset: number, angle = 0): void {
  const { width: W, height: H } = spec;
  // Shrinking 4x or more: halve the face's part of the image first (2.5x faster on a 490 px face).
  while (region.width >= 4 * W && region.height >= 4 * H) ({ image, region } = halveRegion(image, region, angle));
  const channels = spec.color === 'GRAY' ? 1 : 3;
  const sx = region.width / W;
  const sy = region.height / H;
  // Image position of output pixel (u, v): fx = m00*u + m01*v + m02, fy = m10*u + m11*v + m12.
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const cx = region.x + region.width / 2;
  const cy = region.y + region.height / 2;
  const m00 = cos * sx;
  const m01 = -sin * sy;
  const m02 = cx - cos * (region.width / 2) + sin * (region.height / 2) - 0.5;
  const m10 = sin * sx;
  const m11 = cos * sy;
  const m12 = cy - sin * (region.width / 2) - cos * (region.height / 2) - 0.5;
  // Bilinear taps already average 2x2 pixels, so one tap per 2 source pixels suffices against aliasing;
  // one per pixel cost 2.5x more time on a 490 px face for no measurable change in labels.
  const kx = Math.max(1, Math.ceil(sx / 2 - 0.01));
  const ky = Math.max(1, Math.ceil(sy / 2 - 0.01));
  if (angle === 0 && kx === 1 && ky === 1) return resampleUpright(image, region, spec, out, offset);
  const {
    gain: [gain0, gain1, gain2],
    bias: [bias0, bias1, bias2],
    bgr,
    step,
    stride,
  } = channelTransform(spec);
  const src = image.data;
  const iw = image.width;
  const ih = image.height;

  for (let oy = 0; oy < H; oy++) {
    for (let ox = 0; ox < W; ox++) {
      let r0 = 0;
      let g0 = 0;
      let b0 = 0;
      for (let jy = 0; jy < ky; jy++) {
        const v = oy + (jy + 0.5) / ky;
        for (let jx = 0; jx < kx; jx++) {
          const u = ox + (jx + 0.5) / kx;
          const fx = m00 * u + m01 * v + m02;
          const fy = m10 * u + m11 * v + m12;
          const x0 = Math.floor(fx);
          const wx = fx - x0;
          const y0 = Math.floor(fy);
          const wy = fy - y0;
          if (x0 >= 0 && y0 >= 0 && x0 + 1 < iw && y0 + 1 < ih) {
            // Inside the image (nearly every sample of a face): the four taps without bounds checks.
            const i = (y0 * iw + x0) * 3;
            const j = i + iw * 3;
            const w00 = (1 - wx) * (1 - wy);
            const w01 = wx * (1 - wy);
            const w10 = (1 - wx) * wy;
            const w11 = wx * wy;
            r0 += w00 * src[i] + w01 * src[i + 3] + w10 * src[j] + w11 * src[j + 3];
            g0 += w00 * src[i + 1] + w01 * src[i + 4] + w10 * src[j + 1] + w11 * src[j + 4];
            b0 += w00 * src[i + 2] + w01 * src[i + 5] + w10 * src[j + 2] + w11 * src[j + 5];
            continue;
          }
          for (let dy = 0; dy < 2; dy++) {
            const y = y0 + dy;
            if (y < 0 || y >= ih) continue;
            const wyy = dy ? wy : 1 - wy;
            for (let dx = 0; dx < 2; dx++) {
              const x = x0 + dx;
              if (x < 0 || x >= iw) continue;
              const w = wyy * (dx ? wx : 1 - wx);
              const i = (y * iw + x) * 3;
              r0 += w * src[i];
              g0 += w * src[i + 1];
              b0 += w * src[i + 2];
            }
          }
        }
      }
      const n = kx * ky;
      const pixel = oy * W + ox;
      if (channels === 1) {
        out[offset + pixel] = ((GRAY[0] * r0 + GRAY[1] * g0 + GRAY[2] * b0) / n) * gain0 + bias0;
        continue;
      }
      const at = offset + pixel * stride;
      out[at] = ((bgr ? b0 : r0) / n) * gain0 + bias0;
      out[at + step] = (g0 / n) * gain1 + bias1;
      out[at + 2 * step] = ((bgr ? r0 : b0) / n) * gain2 + bias2;
    }
  }
}
