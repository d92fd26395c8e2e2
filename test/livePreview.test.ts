import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import sharp from 'sharp';
import { LABEL_COLORS } from '../src/serve/previewFrame.js';
import { routePreview, type PreviewLookup } from '../src/serve/previewRoutes.js';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { collect, startServe, until, type Daemon } from './helpers/serveProcess.js';

const SAMPLE = join(PACKAGE_ROOT, 'samples', 'video.mp4');
const tmp = mkdtempSync(join(tmpdir(), 'fer-preview-'));

const stop = async (d: Daemon) => {
  d.proc.kill('SIGTERM');
  await d.exited;
};

/** Bytes of an MJPEG response read for `ms`, then the connection dropped. */
function readFor(url: string, ms: number): Promise<{ status: number; type: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const req = request(url, (res) => {
      res.on('data', (c: Buffer) => chunks.push(c));
      setTimeout(() => {
        req.destroy();
        resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body: Buffer.concat(chunks) });
      }, ms);
    });
    req.on('error', (e) => (chunks.length ? undefined : reject(e)));
    req.end();
  });
}

const hex = (c: string) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));

describe('the live preview: snapshot.jpg and preview.mjpeg', () => {
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test("the snapshot is the stream's picture with each face boxed in its label's colour where its message puts it; the MJPEG sends pictures while watched", async () => {
    const d = await startServe(['--input', SAMPLE, '--loop']);
    const ws = collect(`ws://127.0.0.1:${d.port}/ws`);
    try {
      await ws.opened;
      await until(() => ws.frames().some((m) => (m.faces as unknown[]).length > 0), 60_000, 'a frame with a face');
      // A snapshot whose frame has a face and whose message has arrived.
      let checked = false;
      for (let attempt = 0; attempt < 40 && !checked; attempt++) {
        const res = await fetch(`${d.url}/streams/main/snapshot.jpg`);
        if (res.status !== 200) continue;
        assert.equal(res.headers.get('content-type'), 'image/jpeg');
        const frameIndex = Number(res.headers.get('x-frame-index'));
        const jpeg = Buffer.from(await res.arrayBuffer());
        await until(() => ws.frames().some((m) => m.frameIndex === frameIndex), 5000, `the message of frame ${frameIndex}`);
        const message = ws.frames().find((m) => m.frameIndex === frameIndex)! as {
          faces: { box: { x: number; y: number; w: number; h: number }; label: string }[];
        };
        const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
        const streams = (await (await fetch(`${d.url}/streams`)).json()) as { width: number; height: number }[];
        assert.deepEqual([info.width, info.height], [streams[0].width, streams[0].height]);
        const face = message.faces.sort((a, b) => b.box.w * b.box.h - a.box.w * a.box.h)[0];
        if (!face || face.box.y < 4 || face.box.w < 30) continue;
        // The box's top edge, across its middle half: the label's colour (JPEG moves it a little).
        const want = hex(LABEL_COLORS[face.label]);
        const y = Math.round(face.box.y);
        let near = 0;
        let n = 0;
        for (let x = Math.round(face.box.x + face.box.w / 4); x < face.box.x + (3 * face.box.w) / 4; x++, n++) {
          const i = (y * info.width + x) * info.channels;
          if (want.every((v, c) => Math.abs(data[i + c] - v) < 60)) near++;
        }
        assert.ok(near / n > 0.8, `${near}/${n} pixels of the box edge are ${LABEL_COLORS[face.label]} (${face.label})`);
        checked = true;
      }
      assert.ok(checked, 'a snapshot with a face was checked');

      const mjpeg = await readFor(`${d.url}/streams/main/preview.mjpeg`, 2500);
      assert.equal(mjpeg.status, 200);
      assert.match(mjpeg.type, /^multipart\/x-mixed-replace; boundary=frame/);
      const parts = mjpeg.body.toString('latin1').split('--frame\r\n').length - 1;
      assert.ok(parts >= 5 && parts <= 16, `${parts} pictures in 2.5 s at previewFps 5`);
      assert.equal((await fetch(`${d.url}/streams/nope/snapshot.jpg`)).status, 404);
    } finally {
      ws.ws.close();
      await stop(d);
    }
  });

  test('preview: false sends no picture; off loopback the preview is off unless asked for', async () => {
    const file = join(tmp, 'off.yaml');
    writeFileSync(file, `port: 0\nstreams:\n  - { name: cam, source: "${SAMPLE}", loop: true, preview: false }\n`);
    const d = await startServe(['--config', file]);
    try {
      await until(async () => (await (await fetch(`${d.url}/readyz`)).json()).ready === true, 60_000, 'ready');
      const res = await fetch(`${d.url}/streams/cam/snapshot.jpg`);
      assert.equal(res.status, 404);
      assert.match(await res.text(), /the preview of "cam" is off/);
      assert.equal((await fetch(`${d.url}/streams/cam/preview.mjpeg`)).status, 404);
    } finally {
      await stop(d);
    }
    const open = await startServe(['--input', SAMPLE, '--loop', '--host', '0.0.0.0', '--token', 'preview-token-1']);
    try {
      const auth = { authorization: 'Bearer preview-token-1' };
      await until(async () => (await (await fetch(`${open.url}/readyz`)).json()).ready === true, 60_000, 'ready');
      assert.equal((await fetch(`${open.url}/streams/main/snapshot.jpg`)).status, 401, 'the token first');
      const res = await fetch(`${open.url}/streams/main/snapshot.jpg`, { headers: auth });
      assert.equal(res.status, 404, 'off by default off loopback');
    } finally {
      await stop(open);
    }
  });

  test('a stream still loading its models answers 503 with Retry-After, not "the preview is off"', async () => {
    const states: Record<string, PreviewLookup> = { loading: 'starting', hidden: 'off' };
    const server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (
        !routePreview(
          req,
          res,
          url.pathname,
          (name) => states[name] ?? null,
          new Set(),
          () => undefined,
        )
      )
        res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/streams`;
      const loading = await fetch(`${base}/loading/snapshot.jpg`);
      assert.deepEqual([loading.status, loading.headers.get('retry-after')], [503, '1']);
      assert.match(await loading.text(), /"loading" is starting \(models loading\); no picture yet/);
      const hidden = await fetch(`${base}/hidden/preview.mjpeg`);
      assert.equal(hidden.status, 404);
      assert.match(await hidden.text(), /the preview of "hidden" is off/);
      assert.equal((await fetch(`${base}/nope/snapshot.jpg`)).status, 404);
    } finally {
      server.close();
    }
  });
});
