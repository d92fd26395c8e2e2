import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { hostHeaderAllowed } from '../src/serve/hostCheck.js';
import { parseServeConfig } from '../src/serve/serveConfig.js';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { cli } from './helpers/cli.js';
import { collect, sleep, startServe, until } from './helpers/serveProcess.js';
import { CHROMIUM_MISSING, launchChromium } from './helpers/chromium.js';

const SAMPLE = join(PACKAGE_ROOT, 'samples', 'video.mp4');
const tmp = mkdtempSync(join(tmpdir(), 'fer-serve-hard-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A GET with any Host header (fetch does not let a caller set one). */
function get(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: string; cookie?: string[] }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, cookie: res.headers['set-cookie'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

const processesMatching = (pattern: string) =>
  execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(pattern) && !l.includes('ps -eo'));

describe('serve trusts no Host, and every source of a token obeys one rule', () => {
  test('Host names: loopback names pass on a loopback daemon, others only when allowed', () => {
    for (const h of ['localhost:8080', '127.0.0.1:8080', '[::1]:8080', 'LOCALHOST', 'app.localhost:1'])
      assert.ok(hostHeaderAllowed(h, '127.0.0.1', []), h);
    for (const h of ['evil.example:8080', 'evil.example', '127.0.0.1.evil.example', undefined, ''])
      assert.ok(!hostHeaderAllowed(h, '127.0.0.1', []), String(h));
    assert.ok(hostHeaderAllowed('monitor.lan:80', '127.0.0.1', ['monitor.lan']));
    assert.ok(hostHeaderAllowed('anything:80', '0.0.0.0', []), 'off loopback the token guards');
    assert.ok(!hostHeaderAllowed('other:80', '0.0.0.0', ['cams.example']));
  });

  test('DNS rebinding: a loopback daemon refuses HTTP and WebSocket with a foreign Host; lower-case bearer is accepted', async () => {
    const d = await startServe(['--input', SAMPLE, '--loop']);
    try {
      const evil = `evil.example:${d.port}`;
      assert.equal((await get(d.port, '/metrics', { host: evil })).status, 421);
      assert.equal((await get(d.port, '/', { host: evil })).status, 421);
      await assert.rejects(collect(`ws://127.0.0.1:${d.port}/ws`, { Host: evil, Origin: `http://${evil}` }).opened, /HTTP 421/);
      assert.equal((await get(d.port, '/metrics', { host: `localhost:${d.port}` })).status, 200);
      await collect(`ws://127.0.0.1:${d.port}/ws`).opened;
    } finally {
      d.proc.kill('SIGTERM');
      await d.exited;
    }
    const t = await startServe(['--input', SAMPLE, '--loop', '--token', 'secret-token-1']);
    try {
      await collect(`ws://127.0.0.1:${t.port}/ws`, { Authorization: 'bearer secret-token-1' }).opened;
      await collect(`ws://127.0.0.1:${t.port}/ws`, { Authorization: 'BEARER  secret-token-1' }).opened;
      await assert.rejects(collect(`ws://127.0.0.1:${t.port}/ws`, { Authorization: 'Basic secret-token-1' }).opened, /HTTP 401/);
    } finally {
      t.proc.kill('SIGTERM');
      await t.exited;
    }
  });

  test('FER_STREAM_TOKEN obeys the 8-character rule of --token and the file', async () => {
    const r = await cli(['serve', '--input', SAMPLE, '--host', '0.0.0.0', '--port', '0'], { FER_STREAM_TOKEN: 'x' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^fer-stream: FER_STREAM_TOKEN: a token needs at least 8 characters\nRun fer-stream --help for usage\.\n$/);
  });

  test('reconnect.initialSeconds above maxSeconds and an unknown --device are one-line usage errors', async () => {
    const stream = { name: 'a', source: SAMPLE, reconnect: { initialSeconds: 60, maxSeconds: 30 } };
    assert.throws(
      () => parseServeConfig({ streams: [stream] }, 'x.yaml'),
      /x\.yaml: streams\[0\]\.reconnect\.initialSeconds: initialSeconds must not be above maxSeconds/,
    );
    const r = await cli(['serve', '--input', SAMPLE, '--device', 'gpu']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^fer-stream: --device: expected one of auto, cpu.*\nRun fer-stream --help for usage\.\n$/);
  });
});

describe("serve sinks follow file mode's output rules, before the models load", () => {
  const config = (name: string, body: string) => {
    const file = join(tmp, name);
    writeFileSync(file, `port: 0\n${body}`);
    return file;
  };

  test("a sink whose path is its stream's source is refused and the video is left as it was", async () => {
    const video = join(tmp, 'cam.mp4');
    writeFileSync(video, readFileSync(SAMPLE));
    const size = statSync(video).size;
    const file = config(
      'self.yaml',
      `streams:\n  - name: a\n    source: ${video}\n    sinks:\n      - { format: jsonl, path: ${video}, maxBytes: 1000 }\n`,
    );
    const r = await cli(['serve', '--config', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /streams\[0\]\.sinks\[0\]\.path .*cam\.mp4 is an input of this run/);
    assert.equal(statSync(video).size, size);
  });

  test('two streams may not share a sink file, nor a rotated one', async () => {
    const file = config(
      'shared.yaml',
      `streams:\n  - name: a\n    source: ${SAMPLE}\n    sinks: [{ format: csv, path: out.csv }]\n  - name: b\n    source: ${SAMPLE}\n    sinks: [{ format: csv, path: out.csv.1 }]\n`,
    );
    const r = await cli(['serve', '--config', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /streams\[1\]\.sinks\[0\]\.path: .*out\.csv\.1 is also written by streams\[0\]\.sinks\[0\]\.path \(stream a\)/);
  });

  test('a sink in a folder that does not exist: the folder is made, as file mode makes it, and rows arrive', async () => {
    const file = config(
      'deep.yaml',
      `streams:\n  - name: a\n    source: ${SAMPLE}\n    sinks: [{ format: jsonl, path: logs/today/a.jsonl }]\n`,
    );
    const d = await startServe(['--config', file]);
    try {
      await until(
        () => existsSync(join(tmp, 'logs', 'today', 'a.jsonl')) && readFileSync(join(tmp, 'logs', 'today', 'a.jsonl'), 'utf8').length > 0,
        30_000,
        'rows',
      );
    } finally {
      d.proc.kill('SIGTERM');
      assert.equal(await d.exited, 0);
    }
  });

  test('a sink under a file is refused in one line before the models load', async () => {
    writeFileSync(join(tmp, 'plain'), 'x');
    const file = config('under.yaml', `streams:\n  - name: a\n    source: ${SAMPLE}\n    sinks: [{ format: csv, path: plain/a.csv }]\n`);
    const started = Date.now();
    const r = await cli(['serve', '--config', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /^fer-stream: streams\[0\]\.sinks\[0\]\.path .*plain\/a\.csv: cannot write there \(.*plain is a file, not a folder\)\n/,
    );
    assert.ok(Date.now() - started < 8000);
  });
});

describe('serve start-up and shutdown', () => {
  test('SIGTERM while the program is still loading exits 0', async () => {
    const proc = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'fer-stream.js'), 'serve', '--input', SAMPLE, '--port', '0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let text = '';
    proc.stderr.on('data', (d) => (text += d));
    // Once the program is loading its native modules (ONNX Runtime, sharp's libvips mapped into the process):
    // bin/fer-stream.js's early handler is in place by then, and the daemon has not started. Not after a fixed
    // delay: on a loaded machine node itself may take longer than any delay to start.
    const loadingNative = () => {
      try {
        return /onnxruntime|libvips/.test(readFileSync(`/proc/${proc.pid}/maps`, 'utf8'));
      } catch {
        return false;
      }
    };
    await until(loadingNative, 20_000, 'the program loading its native modules');
    proc.kill('SIGTERM');
    const code = await new Promise((resolve) => proc.on('exit', (c, s) => resolve(c ?? s)));
    assert.equal(code, 0, text);
  });

  test('a silent RTSP source: SIGTERM exits 0 within shutdownSeconds and leaves no ffprobe behind', async () => {
    // Accepts the connection and never answers: ffprobe waits for its timeout.
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s)).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    const port = (silent.address() as { port: number }).port;
    const url = `rtsp://127.0.0.1:${port}/silent-${process.pid}`;
    const file = join(tmp, 'silent.yaml');
    writeFileSync(file, `port: 0\nshutdownSeconds: 3\nstreams:\n  - { name: cam, source: "${url}", timeoutSeconds: 20 }\n`);
    const d = await startServe(['--config', file]);
    try {
      await until(() => processesMatching(url).some((l) => /ffprobe/.test(l)), 20_000, 'ffprobe running');
      const asked = Date.now();
      d.proc.kill('SIGTERM');
      assert.equal(await d.exited, 0, d.stderr());
      assert.ok(Date.now() - asked < 3000, `${Date.now() - asked} ms`);
      await sleep(200);
      assert.deepEqual(processesMatching(url), [], 'no ffprobe left');
    } finally {
      d.proc.kill('SIGKILL');
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

describe('the dashboard with a token, in Chromium', () => {
  test(
    'opened with ?token= it loads its script and style (a cookie carries the token) and connects',
    { skip: CHROMIUM_MISSING, timeout: 120_000 },
    async () => {
      const d = await startServe(['--input', SAMPLE, '--loop', '--token', 'secret-token-1']);
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        const statuses = new Map<string, number>();
        page.on('response', (res) => statuses.set(new URL(res.url()).pathname, res.status()));
        await page.goto(`${d.url}/?token=secret-token-1`);
        await page.waitForSelector('#connection[data-state="connected"]', { timeout: 20_000 });
        assert.equal(statuses.get('/dashboard.js'), 200);
        assert.equal(statuses.get('/dashboard.css'), 200);
        const cookie = (await page.context().cookies()).find((c) => c.name === 'fer_stream_token');
        assert.ok(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', JSON.stringify(cookie));
        const out = join(PACKAGE_ROOT, 'test-output');
        mkdirSync(out, { recursive: true });
        await page.screenshot({ path: join(out, 'dashboard-with-token.png') });
        assert.equal((await get(d.port, '/dashboard.js', {})).status, 401, 'without the cookie or token it stays closed');
      } finally {
        await browser.close();
        d.proc.kill('SIGTERM');
        await d.exited;
      }
    },
  );
});
