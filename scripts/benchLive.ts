/**
 * Live daemon numbers, measured on the real CLI (`fer-stream serve`) over loopback:
 * - frame-to-WebSocket latency p50/p95/p99 for 640x480 streams at 30 fps (a shared face clip scaled to
 *   640x480 and played in real time, looping), and drops, for 1..N streams at once;
 * - RSS of the daemon sampled every 10 s over a long run of one stream.
 *   npm run bench:live [-- --streams 4 --seconds 30 --rss-minutes 10] [--only 4] [--max-in-flight 3]
 *     [--preview on|off|watched]   (on: the loopback default, pictures kept, nobody watching) [--defer on|off]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT, SHARED_DATA } from '../src/util/paths.js';
import { ffmpegTools } from '../src/video/ffmpegBinaries.js';
import { collect, rssMb, sleep, startServe, until } from '../test/helpers/serveProcess.js';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '30' },
    'rss-minutes': { type: 'string', default: '10' },
    /** Frames in flight per stream (the config's maxInFlight; default 3). */
    'max-in-flight': { type: 'string' },
    /** `on` (the default on loopback: pictures kept, nobody watching), `off`, or `watched` (an MJPEG viewer per stream). */
    preview: { type: 'string', default: 'on' },
    /** Only this many streams (one row), instead of 1 to --streams. */
    only: { type: 'string' },
    /** `off` (the default: a scheduled detection's frame waits for it) or `on` (deferDetections: associated on the next frame). */
    defer: { type: 'string', default: 'off' },
  },
});
const maxStreams = Number(values.streams);
const seconds = Number(values.seconds);
const rssMinutes = Number(values['rss-minutes']);

const tmp = mkdtempSync(join(tmpdir(), 'fer-bench-live-'));
const shared = join(SHARED_DATA, 'pyfeat_media', 'single_face.mp4');
const source = existsSync(shared) ? shared : join(PACKAGE_ROOT, 'samples', 'video.mp4');
const clip = join(tmp, 'clip640x480.mp4');
execFileSync(ffmpegTools().ffmpeg, [
  '-v',
  'error',
  '-i',
  source,
  '-vf',
  'scale=640:480,fps=30',
  '-c:v',
  'libx264',
  '-pix_fmt',
  'yuv420p',
  '-an',
  clip,
]);

const inFlight = values['max-in-flight'] ? `, maxInFlight: ${Number(values['max-in-flight'])}` : '';

const quantile = (v: number[], q: number) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function run(streams: number, secs: number) {
  const config = join(tmp, `n${streams}.yaml`);
  writeFileSync(
    config,
    [
      'port: 0',
      'streams:',
      ...Array.from(
        { length: streams },
        (_, i) =>
          `  - { name: s${i}, source: "${clip}", loop: true${inFlight}${values.preview === 'off' ? ', preview: false' : ''}${values.defer === 'on' ? ', deferDetections: true' : ''} }`,
      ),
    ].join('\n'),
  );
  const d = await startServe(['--config', config, '--quiet']);
  try {
    const c = collect(`ws://127.0.0.1:${d.port}/ws`);
    await c.opened;
    await until(() => c.frames().length >= 30 * streams, 60_000, 'warm-up');
    const metrics = async () => await (await fetch(`${d.url}/metrics`)).text();
    const dropsOf = (text: string) =>
      [...text.matchAll(/^fer_stream_frames_dropped_total\{stream="s\d+"\} (\S+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
    const decodedOf = (text: string) =>
      [...text.matchAll(/^fer_stream_frames_decoded_total\{stream="s\d+"\} (\S+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
    // Watched previews: one MJPEG viewer per stream, reading everything, for the whole measurement.
    const viewers =
      values.preview === 'watched'
        ? await Promise.all(
            Array.from({ length: streams }, async (_, i) => {
              const res = await fetch(`${d.url}/streams/s${i}/preview.mjpeg`);
              const reader = res.body!.getReader();
              void (async () => {
                while (!(await reader.read().catch(() => ({ done: true }))).done);
              })();
              return reader;
            }),
          )
        : [];
    const before = await metrics();
    const from = c.messages.length;
    await sleep(secs * 1000);
    const after = await metrics();
    for (const v of viewers) await v.cancel().catch(() => undefined);
    const frames = c.messages.slice(from).filter((m) => m.type === 'frame');
    const latency = frames.map((m) => m.latencyMs as number);
    // Frames where a detection was associated (the message's `detected`; a deferred detection's is the frame after
    // the one the detector looked at), the frames after them, and the rest, tracked by their landmarks.
    const detectedAt = new Set(frames.filter((m) => m.detected === true).map((m) => `${m.stream}:${m.frameIndex}`));
    const phaseOf = (m: Record<string, unknown>) =>
      detectedAt.has(`${m.stream}:${m.frameIndex}`) ? 0 : detectedAt.has(`${m.stream}:${(m.frameIndex as number) - 1}`) ? 1 : 2;
    const split = (phase: (i: number) => boolean) => {
      const v = frames.filter((m) => phase(phaseOf(m))).map((m) => m.latencyMs as number);
      return `${quantile(v, 0.5)} / ${quantile(v, 0.95)}`;
    };
    // The daemon's own cost: its CPU (main thread and inference workers; ffmpeg is apart) and the main isolate's
    // garbage collection (prom-client's default metrics), over the measured seconds.
    // A series not yet in the text (no collection of that kind so far) counts 0.
    const sample = (text: string, name: string, labels = '') =>
      Number(new RegExp(`^fer_stream_${name}${labels.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    const during = (name: string, labels = '') => sample(after, name, labels) - sample(before, name, labels);
    const gc = (kinds: string[], what: 'sum' | 'count') =>
      kinds.reduce((a, k) => a + during(`nodejs_gc_duration_seconds_${what}`, `{kind="${k}"}`), 0) / secs;
    const cpu = during('process_cpu_seconds_total') / secs;
    const gcAll = gc(['major', 'minor', 'incremental', 'weakcb'], 'sum') * 1000;
    const gcFull = gc(['major'], 'sum') * 1000;
    const majors = gc(['major'], 'count');
    const drops = dropsOf(after) - dropsOf(before);
    const decoded = decodedOf(after) - decodedOf(before);
    d.proc.kill('SIGTERM');
    await d.exited;
    return {
      streams,
      frames: frames.length,
      fps: frames.length / secs / streams,
      decoded,
      drops,
      p50: quantile(latency, 0.5),
      p95: quantile(latency, 0.95),
      p99: quantile(latency, 0.99),
      detection: split((i) => i === 0),
      next: split((i) => i === 1),
      tracked: split((i) => i > 1),
      cpu,
      gc: `${gcAll.toFixed(1)} / ${gcFull.toFixed(1)} (${majors.toFixed(1)}/s)`,
    };
  } finally {
    d.proc.kill('SIGKILL');
  }
}

console.log(
  `640x480 at 30 fps, ${seconds} s per row (clip from ${source}), maxInFlight ${values['max-in-flight'] ?? 3}, preview ${values.preview}, deferred detections ${values.defer}\n`,
);
console.log(
  '| streams | labelled fps per stream | frames decoded | dropped | latency p50 | p95 | p99 (ms) | detection frames p50 / p95 | the frames after them | the others | daemon CPU (cores) | main thread GC ms/s: all / full (full per s) |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (let n = values.only ? Number(values.only) : 1; n <= (values.only ? Number(values.only) : maxStreams); n++) {
  const r = await run(n, seconds);
  console.log(
    `| ${n} | ${r.fps.toFixed(1)} | ${r.decoded} | ${r.drops} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.detection} | ${r.next} | ${r.tracked} | ${r.cpu.toFixed(2)} | ${r.gc} |`,
  );
}

if (rssMinutes > 0) {
  const config = join(tmp, 'rss.yaml');
  writeFileSync(config, `port: 0\nstreams:\n  - { name: long, source: "${clip}", loop: true }\n`);
  const d = await startServe(['--config', config, '--quiet']);
  const c = collect(`ws://127.0.0.1:${d.port}/ws`);
  await c.opened;
  console.log(`\nRSS of the daemon, one 640x480 stream, every 10 s for ${rssMinutes} min (MB):`);
  const samples: number[] = [];
  for (let t = 0; t <= rssMinutes * 60; t += 10) {
    samples.push(rssMb(d.proc.pid!));
    c.messages.length = 0; // the bench's own client keeps nothing
    if (t < rssMinutes * 60) await sleep(10_000);
  }
  console.log(samples.map((s) => s.toFixed(0)).join(' '));
  const late = samples.slice(Math.floor(samples.length / 2));
  console.log(
    `min ${Math.min(...samples).toFixed(0)}, max ${Math.max(...samples).toFixed(0)}, second half ${Math.min(...late).toFixed(0)}-${Math.max(...late).toFixed(0)} MB`,
  );
  d.proc.kill('SIGTERM');
  await d.exited;
}
rmSync(tmp, { recursive: true, force: true });
