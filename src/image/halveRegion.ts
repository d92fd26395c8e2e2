import type { Box, RgbImage } from './rgbImage.js';

/**
 * The part of `image` under `region` (turned by `angle` about its centre) at half size, each pixel the
 * mean of a 2x2 block, and the region in the half image's coordinates. A large face shrunk to a small
 * network input is first halved this way (a mip level), so the final resample needs a quarter of the taps.
 */
export function halveRegion(image: RgbImage, region: Box, angle: number): { image: RgbImage; region: Box } {
  // Axis-aligned bounds of the turned region, grown by a pixel for the bilinear taps, on even pixels.
  const cx = region.x + region.width / 2;
  const cy = region.y + region.height / 2;
  const c = Math.abs(Math.cos(angle));
  const s = Math.abs(Math.sin(angle));
  const hw = (region.width * c + region.height * s) / 2 + 2;
  const hh = (region.width * s + region.height * c) / 2 + 2;
  const x0 = Math.max(0, Math.floor((cx - hw) / 2) * 2);
  const y0 = Math.max(0, Math.floor((cy - hh) / 2) * 2);
  const x1 = Math.min(image.width & ~1, Math.ceil((cx + hw) / 2) * 2);
  const y1 = Math.min(image.height & ~1, Math.ceil((cy + hh) / 2) * 2);
  const w = Math.max(0, (x1 - x0) / 2);
  const h = Math.max(0, (y1 - y0) / 2);
  const out = new Uint8Array(w * h * 3);
  const src = image.data;
  const row = image.width * 3;
  for (let y = 0; y < h; y++) {
    let i = ((y0 + 2 * y) * image.width + x0) * 3;
    let o = y * w * 3;
    for (let x = 0; x < w; x++, i += 6, o += 3) {
      out[o] = (src[i] + src[i + 3] + src[i + row] + src[i + row + 3] + 2) >> 2;
      out[o + 1] = (src[i + 1] + src[i + 4] + src[i + row + 1] + src[i + row + 4] + 2) >> 2;
      out[o + 2] = (src[i + 2] + src[i + 5] + src[i + row + 2] + src[i + row + 5] + 2) >> 2;
    }
  }
  return {
    image: { width: w, height: h, data: out },
    region: { x: (region.x - x0) / 2, y: (region.y - y0) / 2, width: region.width / 2, height: region.height / 2 },
  };
}
