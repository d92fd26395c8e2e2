import { readFileSync } from 'node:fs';
import type { Box } from '../image/rgbImage.js';

/** Face boxes per image file from a dlib imglab XML (`<image file=..><box top left width height/>`). */
export function readDlibBoxes(xmlPath: string): Map<string, Box[]> {
  const xml = readFileSync(xmlPath, 'latin1');
  const out = new Map<string, Box[]>();
  for (const m of xml.matchAll(/<image file='([^']+)'[^>]*>([\s\S]*?)<\/image>/g)) {
    const boxes: Box[] = [];
    for (const b of m[2].matchAll(/<box top='(-?\d+)' left='(-?\d+)' width='(\d+)' height='(\d+)'/g)) {
      boxes.push({ y: +b[1], x: +b[2], width: +b[3], height: +b[4] });
    }
    out.set(m[1], boxes);
  }
  return out;
}
