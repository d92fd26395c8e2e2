import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { cli } from './helpers/cli.js';
import { collect, rssMb, sleep, startServe, until } from './helpers/serveProcess.js';

const SAMPLE = join(PACKAGE_ROOT, 'samples', 'video.mp4');
const tmp = mkdtempSync(join(tmpdir(), 'fer-serve-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const schema = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'schema', 'live-message.schema.json'), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

const childPids = (pid: number) =>
  execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(pid)], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .filter(Boolean);

describe('fer-stream serve: one file stream played in real time', () => {
  test('frame and status messages follow the published schema; health, readiness and metrics answer; SIGTERM exits 0 leaving no ffmpeg', async () => {
    const d = await startServe(['--input', SAMPLE, '--loop']);
    try {
      const plain = collect(`ws://127.0.0.1:${d.port}/ws`);
      const marks = collect(`ws://127.0.0.1:${d.port}/ws?stream=main&landmarks=1`);
      await Promise.all([plain.opened, marks.opened]);
      await until(
        () => plain.frames().filter((f) => (f.faces as unknown[]).length).length >= 20 && marks.frames().length >= 20,
        30_000,
        '20 frames with faces',
      );
      for (const m of [...plain.messages, ...marks.messages])
        assert.ok(validate(m), `${JSON.stringify(validate.errors)} in ${JSON.stringify(m).slice(0, 300)}`);
      assert.ok(plain.messages.some((m) => m.type === 'status' && m.state === 'live'));
      const indices = plain.frames().map((f) => f.frameIndex as number);
      assert.deepEqual(
        indices,
        [...indices].sort((a, b) => a - b),
        'frames arrive in order',
      );
      const face = (plain.frames().find((f) => (f.faces as unknown[]).length)!.faces as Record<string, unknown>[])[0];
      assert.equal(face.landmarks, undefined, 'landmarks only on request');
      const withMarks = marks.frames().find((f) => (f.faces as unknown[]).length)!.faces as Record<string, unknown>[];
      assert.equal((withMarks[0].landmarks as unknown[]).length, 68);

      assert.deepEqual(await (await fetch(`${d.url}/healthz`)).json(), { ok: true });
      const ready = (await (await fetch(`${d.url}/readyz`)).json()) as { ready: boolean; streams: { name: string; state: string }[] };
      assert.equal(ready.ready, true);
      assert.deepEqual(
        ready.streams.map((s) => [s.name, s.state]),
        [['main', 'live']],
      );
      const metrics = await (await fetch(`${d.url}/metrics`)).text();
      for (const name of [
        'fer_stream_frames_decoded_total{stream="main"}',
        'fer_stream_frames_labelled_total{stream="main"}',
        'fer_stream_frames_dropped_total{stream="main"}',
        'fer_stream_faces_total{stream="main"}',
        'fer_stream_frame_to_message_latency_seconds_bucket',
        'fer_stream_ws_clients 2',
        'fer_stream_inference_queue_depth',
        'fer_stream_process_resident_memory_bytes',
      ]) {
        assert.ok(metrics.includes(name), `metrics lack ${name}`);
      }
      assert.match(await (await fetch(`${d.url}/`)).text(), /<title>fer-stream live<\/title>/);
      assert.equal((await fetch(`${d.url}/nope`)).status, 404);
      await assert.rejects(collect(`ws://127.0.0.1:${d.port}/ws?stream=other`).opened, /HTTP 404/);

      const ffmpeg = childPids(d.proc.pid!).filter((l) => /ffmpeg/.test(l));
      assert.equal(ffmpeg.length, 1, `one ffmpeg child: ${ffmpeg}`);
      const t = Date.now();
      d.proc.kill('SIGTERM');
      assert.equal(await d.exited, 0, d.stderr());
      assert.ok(Date.now() - t < 10_000, 'exits within the shutdown deadline');
      assert.equal(await plain.closed, 1001, 'clients are told the server is going away');
      assert.ok(!existsSync(`/proc/${ffmpeg[0].trim().split(/\s+/)[0]}`), 'no ffmpeg left behind');
    } finally {
      d.proc.kill('SIGKILL');
    }
  });

  test('50 clients, 5 of which never read: the 45 others get every message, memory stays bounded', async () => {
    const d = await startServe(['--input', SAMPLE, '--loop']);
    try {
      // Raw sockets that complete the WebSocket handshake and then never read a byte.
      const stuck = Array.from({ length: 5 }, () => {
        const s = connect(d.port, '127.0.0.1', () => {
          s.write(
            `GET /ws?landmarks=1 HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
          );
          s.pause();
        });
        return s;
      });
      const readers = Array.from({ length: 45 }, () => collect(`ws://127.0.0.1:${d.port}/ws`));
      await Promise.all(readers.map((r) => r.opened));
      await until(async () => (await (await fetch(`${d.url}/metrics`)).text()).includes('fer_stream_ws_clients 50'), 10_000, '50 clients');
      // The baseline once inference runs warm (its first batches allocate ONNX Runtime's arenas).
      await until(() => readers[0].frames().length >= 50, 30_000, 'warm-up');
      const before = rssMb(d.proc.pid!);
      const start = Math.max(...readers.map((r) => (r.frames().length ? (r.frames()[0].frameIndex as number) : 0)));
      await sleep(8000);
      const end = Math.min(...readers.map((r) => (r.frames().at(-1)?.frameIndex as number) ?? 0));
      assert.ok(end - start > 100, `frames ${start}..${end}`);
      const window = (r: ReturnType<typeof collect>) =>
        r
          .frames()
          .map((f) => f.frameIndex as number)
          .filter((i) => i >= start && i <= end);
      const reference = window(readers[0]);
      for (const r of readers) {
        assert.deepEqual(window(r), reference, 'every reader has every message');
        assert.ok(!r.messages.some((m) => m.type === 'dropped'));
      }
      const after = rssMb(d.proc.pid!);
      assert.ok(after - before < 150 && after < 800, `RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MB`);
      for (const s of stuck) s.destroy();
      d.proc.kill('SIGTERM');
      assert.equal(await d.exited, 0);
    } finally {
      d.proc.kill('SIGKILL');
    }
  });
});

describe('fer-stream serve: access control and configuration', () => {
  test('off loopback a token is required: refused without it, accepted as Bearer or ?token=, and a foreign Origin is refused', async () => {
    const r = await cli(['serve', '--input', SAMPLE, '--host', '0.0.0.0', '--port', '0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /token: binding 0\.0\.0\.0 \(off loopback\) needs a token/);
    const d = await startServe(['--input', SAMPLE, '--loop', '--host', '0.0.0.0', '--token', 'secret-token-1']);
    try {
      await assert.rejects(collect(`ws://127.0.0.1:${d.port}/ws`).opened, /HTTP 401/);
      await assert.rejects(collect(`ws://127.0.0.1:${d.port}/ws?token=wrong-token`).opened, /HTTP 401/);
      await assert.rejects(
        collect(`ws://127.0.0.1:${d.port}/ws?token=secret-token-1`, { Origin: 'http://evil.example' }).opened,
        /HTTP 403/,
      );
      await collect(`ws://127.0.0.1:${d.port}/ws?token=secret-token-1`).opened;
      await collect(`ws://127.0.0.1:${d.port}/ws`, { Authorization: 'Bearer secret-token-1' }).opened;
      await collect(`ws://127.0.0.1:${d.port}/ws?token=secret-token-1`, { Origin: `http://127.0.0.1:${d.port}` }).opened;
      assert.equal((await fetch(`${d.url}/metrics`)).status, 401);
      assert.equal((await fetch(`${d.url}/healthz`)).status, 200, 'health checks need no token');
      d.proc.kill('SIGTERM');
      assert.equal(await d.exited, 0);
    } finally {
      d.proc.kill('SIGKILL');
    }
  });

  test('a config file with a bad key names the field; file sinks append rows', async () => {
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, `streams:\n  - name: a\n    source: ${SAMPLE}\n    detectEvery: -1\n`);
    const r = await cli(['serve', '--config', bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.yaml: streams\[0\]\.detectEvery: Too small/);

    const good = join(tmp, 'good.yaml');
    writeFileSync(
      good,
      `port: 0\nstreams:\n  - name: cam-a\n    source: ${SAMPLE}\n    sinks:\n      - { format: csv, path: a.csv }\n  - name: cam-b\n    source: ${SAMPLE}\n    smooth: 5\n`,
    );
    const d = await startServe(['--config', good]);
    try {
      const c = collect(`ws://127.0.0.1:${d.port}/ws?stream=cam-b`);
      await c.opened;
      await until(() => c.frames().length >= 10, 30_000, 'cam-b frames');
      assert.ok(
        c.messages.every((m) => m.stream === 'cam-b'),
        'a stream subscription gets only its stream',
      );
      d.proc.kill('SIGTERM');
      assert.equal(await d.exited, 0);
      const rows = readFileSync(join(tmp, 'a.csv'), 'utf8').trimEnd().split('\n');
      assert.match(rows[0], /^video,frame,pts_ms,role,track_id,/);
      assert.ok(rows.length > 10 && rows.slice(1).every((l) => l.startsWith('cam-a,')), `${rows.length} rows`);
    } finally {
      d.proc.kill('SIGKILL');
    }
  });
});
