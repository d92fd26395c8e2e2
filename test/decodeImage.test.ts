import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { decodeImageFile } from '../src/image/decodeImage.js';
import { decodePlainPng } from '../src/image/plainPng.js';
import { expandToRgb } from '../src/image/rgbImage.js';

/** A 37x23 image with every channel varying, so a swapped or dropped channel shows. */
function pattern(channels: 1 | 2 | 3 | 4): { data: Buffer; info: { width: number; height: number; channels: 1 | 2 | 3 | 4 } } {
  const width = 37;
  const height = 23;
  const data = Buffer.alloc(width * height * channels);
  for (let i = 0; i < width * height; i++) for (let c = 0; c < channels; c++) data[i * channels + c] = (i * (7 + 13 * c) + 31 * c) % 256;
  return { data, info: { width, height, channels } };
}

/** What the sharp path gives: sharp's raw RGB of the same bytes. */
async function viaSharp(bytes: Buffer) {
  const { data, info } = await sharp(bytes).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return info.channels === 3
    ? { width: info.width, height: info.height, data: new Uint8Array(data) }
    : expandToRgb(data, info.width, info.height, info.channels);
}

describe('image decoding', () => {
  test('plain 8-bit PNGs (grey, grey + alpha, RGB, RGBA) decode in JS to exactly the pixels sharp gives', async () => {
    for (const channels of [1, 2, 3, 4] as const) {
      const { data, info } = pattern(channels);
      const bytes = await sharp(data, { raw: info }).png().toBuffer();
      const js = decodePlainPng(bytes);
      assert.ok(js, `${channels}-channel PNG takes the JS path`);
      const expected = await viaSharp(bytes);
      assert.deepEqual({ ...js, data: Buffer.from(js.data) }, { ...expected, data: Buffer.from(expected.data) }, `${channels} channels`);
    }
  });

  test('PNGs that need colour management, palettes, 16 bits or interlacing go to sharp; so do damaged ones', async () => {
    const { data, info } = pattern(3);
    const rgb = sharp(data, { raw: info });
    const cases = {
      palette: await rgb.clone().png({ palette: true }).toBuffer(),
      '16-bit': await rgb.clone().toColourspace('rgb16').png().toBuffer(),
      interlaced: await rgb.clone().png({ progressive: true }).toBuffer(),
      'ICC profile': await rgb.clone().withIccProfile('p3').png().toBuffer(),
    };
    for (const [name, bytes] of Object.entries(cases)) assert.equal(decodePlainPng(bytes), undefined, name);
    const plain = await rgb.clone().png().toBuffer();
    assert.equal(decodePlainPng(plain.subarray(0, plain.length - 20)), undefined, 'truncated');
    // Through decodeImageFile, sharp decodes the ones it can and reports the damaged one.
    const dir = mkdtempSync(join(tmpdir(), 'fer-decode-'));
    writeFileSync(join(dir, 'palette.png'), cases.palette);
    assert.deepEqual((await decodeImageFile(join(dir, 'palette.png'))).width, 37);
    writeFileSync(join(dir, 'damaged.png'), plain.subarray(0, 60));
    await assert.rejects(decodeImageFile(join(dir, 'damaged.png')));
  });
});
