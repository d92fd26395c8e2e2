import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { ffmpegTools } from '../src/video/ffmpegBinaries.js';
import { cli } from './helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'fer-hostile-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const SAMPLE_VIDEO = join(PACKAGE_ROOT, 'samples', 'video.mp4');
const SAMPLE_CROPS = join(PACKAGE_ROOT, 'samples', 'crops');

let n = 0;
/** A fresh folder holding a copy of the sample video, two crops and a release list naming them. */
function workspace() {
  const dir = join(tmp, `w${n++}`);
  mkdirSync(join(dir, 'crops'), { recursive: true });
  copyFileSync(SAMPLE_VIDEO, join(dir, 'a.mp4'));
  for (const f of ['0.jpg', '1.jpg']) copyFileSync(join(SAMPLE_CROPS, f), join(dir, 'crops', f));
  writeFileSync(join(dir, 'crops', 'release.txt'), 'image,expression\n0.jpg,\n1.jpg,\n');
  return dir;
}

/** Bytes of every file under `dir`, to compare before and after a run that must not touch them. */
function snapshot(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) files.set(join(e.parentPath, e.name), readFileSync(join(e.parentPath, e.name)));
  }
  return files;
}

/** One line on stderr (plus the usage pointer for exit 2), no stack trace. */
function assertOneLine(stderr: string, pattern: RegExp) {
  const lines = stderr
    .trimEnd()
    .split('\n')
    .filter((l) => !l.startsWith('Run fer-stream --help'));
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(stderr, /\n\s+at /);
}

describe('an output that is an input is refused before any work (exit 2), the input byte-identical', () => {
  const cases: [string, (d: string) => string[], RegExp][] = [
    ['the video itself', (d) => ['--input', join(d, 'a.mp4'), '--out', join(d, 'a.mp4')], /--out .*a\.mp4 is an input of this run/],
    [
      'a symlink to the video',
      (d) => (symlinkSync(join(d, 'a.mp4'), join(d, 'l.txt')), ['--input', join(d, 'a.mp4'), '--out', join(d, 'l.txt')]),
      /l\.txt is an input .*a\.mp4/,
    ],
    [
      'a hard link to the video',
      (d) => (linkSync(join(d, 'a.mp4'), join(d, 'h.txt')), ['--input', join(d, 'a.mp4'), '--out', join(d, 'h.txt')]),
      /h\.txt is an input .*a\.mp4/,
    ],
    ['the video by a path with ..', (d) => ['--input', join(d, 'a.mp4'), '--out', join(d, 'crops', '..', 'a.mp4')], /is an input/],
    ['a video of an input folder', (d) => ['--input', d, '--out', join(d, 'a.mp4'), '--format', 'csv'], /is an input/],
    [
      'a left/right file that is the video',
      (d) => (
        linkSync(join(d, 'a.mp4'), join(d, 'p_left.txt')),
        ['--input', join(d, 'a.mp4'), '--out', join(d, 'p.txt'), '--faces', 'left-right']
      ),
      /p_left\.txt is an input/,
    ],
    [
      'the release list',
      (d) => ['--input', join(d, 'crops', 'release.txt'), '--out', join(d, 'crops', 'release.txt')],
      /release\.txt is an input/,
    ],
    ['a crop', (d) => ['--input', join(d, 'crops'), '--out', join(d, 'crops', '0.jpg')], /0\.jpg is an input/],
    [
      'the manifest',
      (d) => (
        copyFileSync(join(PACKAGE_ROOT, 'config', 'default-ensemble.json'), join(d, 'm.json')),
        ['--input', join(d, 'crops'), '--out', join(d, 'm.json'), '--manifest', join(d, 'm.json')]
      ),
      /m\.json is an input/,
    ],
  ];
  for (const [name, args, message] of cases) {
    test(name, async () => {
      const dir = workspace();
      const argv = args(dir);
      const before = snapshot(dir);
      const r = await cli([...argv, '--quiet']);
      assert.equal(r.code, 2, r.stderr);
      assertOneLine(r.stderr, message);
      assert.deepEqual(snapshot(dir), before);
    });
  }
});

describe('an output location that cannot be written fails at once, naming --out (exit 1)', () => {
  const cases: [string, (d: string) => string, RegExp][] = [
    [
      'a path under a regular file (ENOTDIR)',
      (d) => join(d, 'a.mp4', 'preds.txt'),
      /--out .*a\.mp4\/preds\.txt: cannot write there \(.*a\.mp4 is a file, not a folder\)/,
    ],
    ['/proc (ENOENT)', () => '/proc/fer-stream-preds.txt', /--out \/proc\/fer-stream-preds\.txt: cannot write there/],
  ];
  for (const [name, out, message] of cases) {
    test(name, async () => {
      const dir = workspace();
      const started = performance.now();
      const r = await cli(['--input', join(dir, 'a.mp4'), '--out', out(dir)]);
      assert.ok(performance.now() - started < 2000, 'fails in under two seconds');
      assert.equal(r.code, 1, r.stderr);
      assertOneLine(r.stderr, message);
    });
  }

  const mount = (options: string) => {
    const at = mkdtempSync(join(tmp, 'mnt-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at], { stdio: 'ignore' });
      return at;
    } catch {
      return undefined;
    }
  };
  const canMount = (() => {
    const at = mount('size=16k');
    if (at) execFileSync('umount', [at]);
    return Boolean(at);
  })();
  const NO_MOUNT = 'needs root to mount a small tmpfs (read-only, or full)';

  test('a read-only file system (EROFS)', { skip: !canMount && NO_MOUNT }, async () => {
    const at = mount('ro,size=16k')!;
    try {
      const r = await cli(['--input', SAMPLE_CROPS, '--out', join(at, 'preds.txt')]);
      assert.equal(r.code, 1, r.stderr);
      assertOneLine(r.stderr, /--out .*preds\.txt: cannot write there \(read-only file system \(EROFS\)\)/);
    } finally {
      execFileSync('umount', [at]);
    }
  });

  test('a disk that fills while writing (ENOSPC) names --out and keeps the previous file', { skip: !canMount && NO_MOUNT }, async () => {
    const at = mount('size=4k')!;
    try {
      const out = join(at, 'faces.csv');
      writeFileSync(out, 'previous\n');
      // One 4 KB page, taken by the previous file: the new csv finds no room.
      const r = await cli(['--input', SAMPLE_CROPS, '--out', out, '--quiet']);
      assert.equal(r.code, 1, r.stderr);
      assertOneLine(r.stderr, /--out .*faces\.csv: cannot write \(no space left on device \(ENOSPC\)\); .*faces\.csv was left as it was/);
      assert.equal(readFileSync(out, 'utf8'), 'previous\n');
      assert.deepEqual(readdirSync(at), ['faces.csv'], 'no temporary file is left behind');
    } finally {
      execFileSync('umount', [at]);
    }
  });
});

describe('a manifest member that is not an ONNX file names the field', () => {
  for (const [name, body] of [
    ['a text file', 'not a model\n'],
    ['an empty .onnx', ''],
    ['/etc/passwd', null],
  ] as const) {
    test(name, async () => {
      const dir = workspace();
      const model = body === null ? '/etc/passwd' : join(dir, 'm.onnx');
      if (body !== null) writeFileSync(model, body);
      const manifest = join(dir, 'bad.json');
      const member = {
        name: 'x',
        model,
        input: { width: 48, height: 48, layout: 'NCHW', color: 'GRAY' },
        outputs: { expression: 'e' },
        labels: ['happy', 'sad'],
      };
      writeFileSync(manifest, JSON.stringify({ name: 'bad', members: [member] }));
      const r = await cli(['--input', join(dir, 'crops'), '--out', join(dir, 'p.txt'), '--manifest', manifest]);
      assert.equal(r.code, 1, r.stderr);
      assertOneLine(
        r.stderr,
        new RegExp(
          `members\\[0\\]\\.model: ${model.replace(/[.]/g, '\\.')} is not a valid ONNX model \\(${body === '' ? 'empty file' : 'Protobuf parsing failed'}`,
        ),
      );
    });
  }
});

describe('small things a careful user trips on', () => {
  test('--batch -1 and --smooth -3 get the positive-integer message', async () => {
    for (const [flag, value] of [
      ['--batch', '-1'],
      ['--smooth', '-3'],
    ]) {
      const r = await cli(['--input', SAMPLE_VIDEO, '--out', join(tmp, 'x.txt'), flag, value]);
      assert.equal(r.code, 2);
      assertOneLine(r.stderr, new RegExp(`${flag}: expected a positive integer, got "${value}"`));
    }
  });

  test('a repeated single-valued flag and --landmarks with an ABAW text file are usage errors', async () => {
    let r = await cli(['--input', SAMPLE_VIDEO, '--out', join(tmp, 'a.txt'), '--out', join(tmp, 'b.txt')]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, /--out given 2 times/);
    r = await cli(['--input', SAMPLE_VIDEO, '--out', join(tmp, 'a.txt'), '--landmarks']);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, /--landmarks adds columns to csv\/jsonl output/);
  });

  test('face crops to .jsonl write JSON lines; a repeated release-list image is counted in a warning', async () => {
    const dir = workspace();
    writeFileSync(join(dir, 'crops', 'twice.txt'), 'image,expression\n0.jpg,\n1.jpg,\n0.jpg,\n');
    const out = join(dir, 'p.jsonl');
    const r = await cli(['--input', join(dir, 'crops', 'twice.txt'), '--out', out, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: .*twice\.txt lists 1 image\(s\) more than once \(1 extra row\(s\), e\.g\. 0\.jpg\)/);
    const rows = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      rows.map((x) => x.image),
      ['0.jpg', '1.jpg', '0.jpg'],
    );
    for (const row of rows) {
      assert.ok(row.expression >= 0 && row.expression <= 5);
      assert.ok(Math.abs(Object.values(row.probs as Record<string, number>).reduce((a, b) => a + b, 0) - 1) < 1e-4);
    }
  });

  test('one video with --out naming an existing folder writes <folder>/<video>.txt', async () => {
    const dir = workspace();
    mkdirSync(join(dir, 'out'));
    const r = await cli(['--input', join(dir, 'a.mp4'), '--out', join(dir, 'out'), '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(join(dir, 'out')), ['a.txt']);
    assert.equal(
      readFileSync(join(dir, 'out', 'a.txt'), 'utf8')
        .trimEnd()
        .split('\n').length,
      301,
    );
  });

  test('an empty folder names the image and the video extensions', async () => {
    const dir = mkdtempSync(join(tmp, 'empty-'));
    const r = await cli(['--input', dir, '--out', join(tmp, 'e.txt')]);
    assert.equal(r.code, 1);
    assertOneLine(r.stderr, /no images \(\.jpg .*\) in the folder or its class folders, and no videos \(\.mp4 .*\)/);
  });

  test('--workers beyond the cores is clamped with a one-line warning', async () => {
    const r = await cli(['--input', SAMPLE_CROPS, '--out', join(tmp, 'w.txt'), '--workers', '100', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /^fer-stream: warning: --workers 100 is more than this machine's \d+ core\(s\); using \d+ \(each worker holds its own copy of the models, about \d+ MB\)\n$/,
    );
  });

  test('--help says the batch default of each mode', async () => {
    const r = await cli(['--help']);
    assert.match(r.stdout, /default 32 for crops; video: frames per batch,\s+default 16/);
  });

  test('an unexpected failure is one line; --verbose adds the stack', async () => {
    // A model cache that cannot be made is no input, output or manifest mistake: an unexpected failure.
    const r = await cli(['--input', SAMPLE_CROPS, '--out', join(tmp, 'v.txt')], { FER_STREAM_MODEL_DIR: '/etc/passwd/models' });
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.match(r.stderr, /run with --verbose or DEBUG=fer-stream for the stack trace/);
    const v = await cli(['--input', SAMPLE_CROPS, '--out', join(tmp, 'v.txt'), '--verbose'], {
      FER_STREAM_MODEL_DIR: '/etc/passwd/models',
    });
    assert.equal(v.code, 1);
    assert.match(v.stderr, /\n\s+at /);
  });

  test("ffmpeg's testsrc pattern is no face at any size (the detector takes it for one)", async () => {
    for (const size of ['320x240', '1280x720', '3840x2160']) {
      const video = join(tmp, `testsrc_${size}.mp4`);
      execFileSync(ffmpegTools().ffmpeg, [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        `testsrc=size=${size}:rate=10`,
        '-t',
        '1',
        '-pix_fmt',
        'yuv420p',
        video,
      ]);
      const out = join(tmp, `testsrc_${size}.txt`);
      const r = await cli(['--input', video, '--out', out, '--quiet']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(readFileSync(out, 'utf8').trimEnd().split('\n').slice(1), new Array(10).fill('-1'), size);
    }
  });
});
