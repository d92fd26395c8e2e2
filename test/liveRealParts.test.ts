import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { collect, sleep, startServe, until } from './helpers/serveProcess.js';
import { shared, SHARED_MISSING } from './helpers/sharedData.js';
import { CHROMIUM_MISSING, launchChromium } from './helpers/chromium.js';

const SAMPLE = join(PACKAGE_ROOT, 'samples', 'video.mp4');
const CLIP = shared('pyfeat_media', 'single_face.mp4');
const tmp = mkdtempSync(join(tmpdir(), 'fer-real-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const PYTHON = '/usr/bin/python3';
const gstMissing = (() => {
  if (!existsSync(PYTHON)) return `${PYTHON} is absent`;
  const r = spawnSync(PYTHON, ['-c', "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"], {
    encoding: 'utf8',
  });
  return r.status === 0
    ? undefined
    : 'GStreamer RTSP server bindings are not installed (apt: gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-{base,good,bad,ugly}; .ci/run installs them)';
})();

/** Starts the GStreamer RTSP camera and waits until it listens. */
async function camera(port: number): Promise<ChildProcess> {
  const proc = spawn(PYTHON, [join(PACKAGE_ROOT, 'test', 'helpers', 'rtspCamera.py'), CLIP!, String(port), 'cam'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.once('data', () => resolve());
    proc.once('exit', (code) => reject(new Error(`rtsp camera exited ${code}`)));
  });
  return proc;
}

const metric = async (url: string, name: string) =>
  Number(
    new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? NaN,
  );

describe('live streams with real parts', () => {
  test(
    'an RTSP camera killed and restarted five times: the stream resumes each time, reconnects are counted, a second stream never pauses',
    { skip: (!CLIP && SHARED_MISSING) || gstMissing, timeout: 240_000 },
    async () => {
      const port = 20000 + (process.pid % 20000);
      let cam = await camera(port);
      const config = join(tmp, 'two.yaml');
      writeFileSync(
        config,
        [
          'port: 0',
          'streams:',
          `  - { name: cam, source: "rtsp://127.0.0.1:${port}/cam", stallSeconds: 2, timeoutSeconds: 2, reconnect: { initialSeconds: 0.2, maxSeconds: 1 } }`,
          `  - { name: file, source: "${SAMPLE}", loop: true }`,
        ].join('\n'),
      );
      const d = await startServe(['--config', config]);
      try {
        const c = collect(`ws://127.0.0.1:${d.port}/ws`);
        await c.opened;
        const camFrames = () => c.frames().filter((f) => f.stream === 'cam').length;
        await until(() => camFrames() > 20, 60_000, 'first RTSP frames');
        for (let drop = 1; drop <= 5; drop++) {
          cam.kill('SIGKILL');
          await new Promise((r) => cam.once('exit', r));
          await until(
            () =>
              c.messages.some(
                (m) => m.stream === 'cam' && m.type === 'status' && m.state === 'reconnecting' && (m.reconnects as number) >= drop,
              ),
            20_000,
            `drop ${drop} noticed`,
          );
          await sleep(500);
          cam = await camera(port);
          const seen = camFrames();
          await until(() => camFrames() > seen + 15, 30_000, `frames after restart ${drop}`);
        }
        assert.ok((await metric(d.url, 'fer_stream_reconnects_total{stream="cam"}')) >= 5);
        // The file stream went on at its own pace throughout: no gap between its messages longer than 1 s.
        const times = c
          .frames()
          .filter((f) => f.stream === 'file')
          .map((f) => f.wallTimeMs as number);
        const gaps = times.slice(1).map((t, i) => t - times[i]);
        assert.ok(
          times.length > 100 && Math.max(...gaps) < 1000,
          `file stream: ${times.length} frames, longest gap ${Math.max(...gaps)} ms`,
        );
        assert.equal(await metric(d.url, 'fer_stream_reconnects_total{stream="file"}'), 0);
        d.proc.kill('SIGTERM');
        assert.equal(await d.exited, 0);
      } finally {
        d.proc.kill('SIGKILL');
        cam.kill('SIGKILL');
      }
    },
  );

  test(
    'the dashboard in a real headless browser connects, and its bars and timelines move as results arrive',
    { skip: CHROMIUM_MISSING, timeout: 120_000 },
    async () => {
      const d = await startServe(['--input', SAMPLE, '--loop', '--smooth', '3']);
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        await page.goto(`${d.url}/`);
        await page.waitForSelector('#connection[data-state="connected"]', { timeout: 20_000 });
        await page.waitForSelector('.stream[data-state="live"] .face', { timeout: 30_000 });
        const widths = () => page.$$eval('.face .fill', (els) => els.map((e) => (e as HTMLElement).style.width).join('|'));
        const first = await widths();
        await page.waitForFunction(
          (w) => [...document.querySelectorAll('.face .fill')].map((e) => (e as HTMLElement).style.width).join('|') !== w,
          first,
          { timeout: 10_000 },
        );
        // Painted (non-transparent) pixels of the timeline canvas.
        // Painted (non-transparent) pixels of every track's timeline: a track that left (the sample has cuts)
        // stops growing, the others go on.
        const paintedPixels = () =>
          page.$$eval('canvas.timeline', (canvases) =>
            canvases.reduce((n, c) => {
              const data = (c as HTMLCanvasElement)
                .getContext('2d')!
                .getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
              for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
              return n;
            }, 0),
          );
        const painted = await paintedPixels();
        assert.ok(painted > 0, 'the timeline has painted labels');
        await sleep(3000);
        const painted2 = await paintedPixels();
        assert.ok(painted2 > painted, `the timeline grows (${painted} -> ${painted2} painted pixels)`);
        assert.match((await page.textContent('.stats')) ?? '', /\d+\.\d fps/);
        // The preview beside the cards: it loads, and its picture changes as frames are labelled.
        await page.waitForFunction(
          () => ((document.querySelector('img.preview') as HTMLImageElement | null)?.naturalWidth ?? 0) > 0,
          null,
          {
            timeout: 15_000,
          },
        );
        const picture = () =>
          page.$eval('img.preview', (img) => {
            const c = document.createElement('canvas');
            c.width = 64;
            c.height = 36;
            const ctx = c.getContext('2d')!;
            ctx.drawImage(img as HTMLImageElement, 0, 0, 64, 36);
            return Array.from(ctx.getImageData(0, 0, 64, 36).data).join(',');
          });
        const before = await picture();
        await until(async () => (await picture()) !== before, 10_000, 'the preview picture to change');
        // Cards of faces that left fold away at once (only their title line) and leave after forgetSeconds (5):
        // open cards are the faces in the frame (the sample shows 4 at most), folded ones a few seconds' worth.
        await sleep(8000);
        const open = await page.$$eval('.face:not(.gone)', (els) => els.length);
        const folded = await page.$$eval('.face.gone', (els) => els.map((e) => (e.querySelector('.bars') as HTMLElement).offsetHeight));
        assert.ok(open <= 4, `${open} open face cards (4 faces at most at once)`);
        assert.ok(
          folded.every((h) => h === 0),
          'folded cards show no bars',
        );
        const out = join(PACKAGE_ROOT, 'test-output');
        mkdirSync(out, { recursive: true });
        await page.screenshot({ path: join(out, 'dashboard.png'), fullPage: true });
      } finally {
        await browser.close();
        d.proc.kill('SIGTERM');
        await d.exited;
      }
    },
  );
});
