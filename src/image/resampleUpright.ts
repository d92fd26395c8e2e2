import type { InputSpec } from './inputSpec.js';
import type { Box, RgbImage } from './rgbImage.js';

/** Luma weights of R, G, B for grey inputs (ITU-R BT.601, as OpenCV and PIL convert). */
export const GRAY = [0.299, 0.587, 0.114];

/** How a sampled colour becomes a tensor value for `spec`: per output channel v * gain + bias, and where it goes. */
export interface ChannelTransform {
  gain: [number, number, number];
  bias: [number, number, number];
  /** Channels in BGR order. */
  bgr: boolean;
  /** Distance between a pixel's channels in the tensor (a plane for NCHW, 1 for NHWC). */
  step: number;
  /** Distance between consecutive pixels (1 for NCHW, 3 for NHWC). */
  stride: number;
}

/** (v * scale - mean) / std per channel, fixed once per crop rather than per pixel. */
export function channelTransform(spec: InputSpec): ChannelTransform {
  const std = (c: number) => spec.std[spec.std.length === 1 ? 0 : c];
  const mean = (c: number) => spec.mean[spec.mean.length === 1 ? 0 : c];
  const nchw = spec.layout === 'NCHW';
  return {
    gain: [0, 1, 2].map((c) => spec.scale / std(c)) as [number, number, number],
    bias: [0, 1, 2].map((c) => -mean(c) / std(c)) as [number, number, number],
    bgr: spec.color === 'BGR',
    step: nchw ? spec.width * spec.height : 1,
    stride: nchw ? 1 : 3,
  };
}

/**
 * resampleToTensor's commonest case, upright with one bilinear tap per output pixel (a face crop enlarged, or
 * shrunk less than 2x), as two separable passes: each source row the crop touches is interpolated across once,
 * then output rows blend two of those. A fifth of the per-pixel work of the general sampler, which was the
 * main thread's largest cost in crop scoring. The taps are the general sampler's exactly; only the order of
 * the bilinear sums differs (values agree to float32 rounding).
 */
export function resampleUpright(image: RgbImage, region: Box, spec: InputSpec, out: Float32Array, offset: number): void {
  const { width: W, height: H } = spec;
  const sx = region.width / W;
  const sy = region.height / H;
  // As the general sampler computes them with no roll: image x = sx * u + m02, image y = sy * v + m12.
  const m02 = region.x + region.width / 2 - region.width / 2 - 0.5;
  const m12 = region.y + region.height / 2 - region.height / 2 - 0.5;
  const { width: iw, height: ih, data: src } = image;
  // Each output column's two taps: source offsets in a row and weights; a tap outside the image gets weight 0
  // (the letterbox's zeros) at offset 0, so the loop below needs no bounds checks.
  const leftAt = new Int32Array(W);
  const rightAt = new Int32Array(W);
  const leftW = new Float64Array(W);
  const rightW = new Float64Array(W);
  for (let ox = 0; ox < W; ox++) {
    const fx = sx * (ox + 0.5) + m02;
    const x = Math.floor(fx);
    const w = fx - x;
    const inside = (k: number) => k >= 0 && k < iw;
    leftAt[ox] = inside(x) ? x * 3 : 0;
    leftW[ox] = inside(x) ? 1 - w : 0;
    rightAt[ox] = inside(x + 1) ? (x + 1) * 3 : 0;
    rightW[ox] = inside(x + 1) ? w : 0;
  }
  // Two interpolated source rows (R, G, B per output column): output rows go down the image, so each source
  // row is interpolated across once and serves every output row between it and the next.
  const rows = [new Float64Array(W * 3), new Float64Array(W * 3)];
  const rowOf = [NaN, NaN];
  /** Source row `y` interpolated across (zeros outside the image: the letterbox), keeping row `keep` cached. */
  const across = (y: number, keep: number): Float64Array => {
    for (let k = 0; k < 2; k++) if (rowOf[k] === y) return rows[k];
    const k = rowOf[0] === keep ? 1 : 0;
    const row = rows[k];
    rowOf[k] = y;
    if (y < 0 || y >= ih) return row.fill(0);
    const line = y * iw * 3;
    for (let ox = 0, o = 0; ox < W; ox++, o += 3) {
      const l = line + leftAt[ox];
      const r = line + rightAt[ox];
      const wl = leftW[ox];
      const wr = rightW[ox];
      row[o] = wl * src[l] + wr * src[r];
      row[o + 1] = wl * src[l + 1] + wr * src[r + 1];
      row[o + 2] = wl * src[l + 2] + wr * src[r + 2];
    }
    return row;
  };
  const {
    gain: [gain0, gain1, gain2],
    bias: [bias0, bias1, bias2],
    bgr,
    step,
    stride,
  } = channelTransform(spec);
  const grey = spec.color === 'GRAY';
  for (let oy = 0; oy < H; oy++) {
    const fy = sy * (oy + 0.5) + m12;
    const y0 = Math.floor(fy);
    const wy = fy - y0;
    const top = across(y0, y0 + 1);
    const bottom = across(y0 + 1, y0);
    for (let ox = 0; ox < W; ox++) {
      const i = ox * 3;
      const r = (1 - wy) * top[i] + wy * bottom[i];
      const g = (1 - wy) * top[i + 1] + wy * bottom[i + 1];
      const b = (1 - wy) * top[i + 2] + wy * bottom[i + 2];
      const pixel = oy * W + ox;
      if (grey) {
        out[offset + pixel] = (GRAY[0] * r + GRAY[1] * g + GRAY[2] * b) * gain0 + bias0;
        continue;
      }
      const at = offset + pixel * stride;
      out[at] = (bgr ? b : r) * gain0 + bias0;
      out[at + step] = g * gain1 + bias1;
      out[at + 2 * step] = (bgr ? r : b) * gain2 + bias2;
    }
  }
}
