import sharp from 'sharp';
import type { RgbImage } from '../image/rgbImage.js';
import type { LiveFace } from './liveMessages.js';

/** Each label's colour: the dashboard's (dashboard.js COLORS; a test checks that they match). */
export const LABEL_COLORS: Record<string, string> = {
  neutral: '#8b98a5',
  anger: '#f85149',
  disgust: '#a371f7',
  fear: '#db61a2',
  happiness: '#3fb950',
  sadness: '#388bfd',
  surprise: '#d29922',
};

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A labelled frame as a JPEG: each face's box in its label's colour (as its card on the dashboard), with its
 * track ID and label above it. The boxes are an SVG drawn over the pixels by sharp.
 */
export async function renderPreview(image: RgbImage, faces: LiveFace[], quality = 80): Promise<Buffer> {
  const { width, height } = image;
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 200));
  const font = Math.max(12, Math.round(height / 30));
  const shapes = faces.map((f) => {
    const color = LABEL_COLORS[f.label] ?? '#ffffff';
    const { x, y, w, h } = f.box;
    const text = escapeXml(`${f.trackId} ${f.label}`);
    const ty = y - stroke - 2 >= font ? y - stroke - 2 : y + h + font;
    return (
      `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${color}" stroke-width="${stroke}"/>` +
      `<text x="${x}" y="${ty}" font-family="sans-serif" font-size="${font}" font-weight="bold" fill="${color}" stroke="#000" stroke-width="0.6" paint-order="stroke">${text}</text>`
    );
  });
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`);
  return sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), { raw: { width, height, channels: 3 } })
    .composite([{ input: svg, top: 0, left: 0 }])
    .jpeg({ quality })
    .toBuffer();
}
