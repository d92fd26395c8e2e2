import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { listBatchVideos, resolveShard, shardVideos } from '../src/batch/batchInputs.js';
import { FinishedLedger, LEDGER_NAME } from '../src/batch/finishedVideos.js';
import { readFrameCounts } from '../src/batch/frameCounts.js';
import { LOCK_NAME, lockOutDir } from '../src/batch/outDirLock.js';
import { forceFrameCount } from '../src/pipeline/videoJob.js';
import type { FrameRecord } from '../src/pipeline/faceRecords.js';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { cli } from './helpers/cli.js';
import { makeTestSet } from './helpers/testSet.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'fer-batch-'));

describe('batch inputs, shards and frame counts', () => {
  test('folders, list files and globs give one sorted list; two videos with one name are refused', () => {
    const dir = tmp();
    for (const f of ['b.mp4', 'a10.mp4', 'a2.mkv', 'notes.md']) writeFileSync(join(dir, f), 'x');
    writeFileSync(join(dir, 'list.txt'), '# test set\nb.mp4\n\na2.mkv\n');
    assert.deepEqual(
      listBatchVideos([dir]).map((v) => v.name),
      ['a2', 'a10', 'b'],
    );
    assert.deepEqual(
      listBatchVideos([join(dir, 'list.txt')]).map((v) => v.name),
      ['a2', 'b'],
    );
    assert.deepEqual(
      listBatchVideos([join(dir, 'a*.m*')]).map((v) => v.name),
      ['a2', 'a10'],
    );
    const other = tmp();
    writeFileSync(join(other, 'b.mov'), 'x');
    assert.throws(() => listBatchVideos([dir, other]), /two videos are named b/);
    assert.throws(() => listBatchVideos([join(dir, 'z*.mp4')]), /matches no video/);
  });

  test('shards partition the videos (every video in exactly one), from --shard, Slurm or Kubernetes', () => {
    const videos = Array.from({ length: 7 }, (_, i) => ({ path: `/v/${i}.mp4`, name: String(i) }));
    const parts = [0, 1, 2].map((index) => shardVideos(videos, { index, count: 3 }).map((v) => v.name));
    assert.deepEqual(parts.flat().sort(), videos.map((v) => v.name).sort());
    assert.ok(
      parts.every((p) => p.length >= 2 && p.length <= 3),
      'balanced',
    );
    assert.deepEqual(resolveShard('1/3', {}), { index: 1, count: 3 });
    assert.deepEqual(resolveShard(undefined, { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '4', SLURM_ARRAY_TASK_COUNT: '2' }), {
      index: 1,
      count: 2,
    });
    assert.deepEqual(resolveShard(undefined, { JOB_COMPLETION_INDEX: '2' }, '4'), { index: 2, count: 4 });
    assert.equal(resolveShard(undefined, {}), undefined);
    assert.throws(() => resolveShard('3/3', {}), /not a shard/);
    assert.throws(() => resolveShard(undefined, { JOB_COMPLETION_INDEX: '0' }), /--shards/);
  });

  test("the organisers' counts, from a list or their files; outputs padded with the last label or -1, or trimmed", () => {
    const dir = tmp();
    writeFileSync(join(dir, 'counts.csv'), 'video,frames\nv1.mp4,5\nv2,3\n');
    assert.deepEqual(
      [...readFrameCounts(join(dir, 'counts.csv'))],
      [
        ['v1', 5],
        ['v2', 3],
      ],
    );
    const ann = join(dir, 'ann');
    makeDir(ann, { 'v1.txt': 'Neutral,Anger\n0\n1\n-1\n', 'v2_left.txt': 'Neutral,Anger\n1\n' });
    assert.deepEqual([...readFrameCounts(ann)].sort(), [
      ['v1', 3],
      ['v2_left', 1],
    ]);
    const frames: FrameRecord[] = [0, 1, 2].map((i) => ({
      frameIndex: i,
      ptsMs: i * 40,
      faces: i === 2 ? [{ trackId: 1 } as never] : [],
      detected: true,
      sceneCut: false,
    }));
    const padded = forceFrameCount(frames, 5, 'last');
    assert.equal(padded.frames.length, 5);
    assert.equal(padded.frames[4].faces.length, 1);
    assert.deepEqual(padded.change, { decoded: 3, target: 5, padded: 2, trimmed: 0 });
    assert.equal(forceFrameCount(frames, 5, 'none').frames[4].faces.length, 0);
    assert.deepEqual(forceFrameCount(frames, 2, 'last').change, { decoded: 3, target: 2, padded: 0, trimmed: 1 });
  });

  test('the resume ledger ignores a line torn by a kill, and an entry whose input or outputs changed', () => {
    const dir = tmp();
    const video = join(dir, 'v.mp4');
    writeFileSync(video, 'x');
    writeFileSync(join(dir, 'v.txt'), 'out');
    const ledger = new FinishedLedger(dir);
    const st = statSync(video);
    ledger.record({
      name: 'v',
      path: video,
      size: st.size,
      mtimeMs: st.mtimeMs,
      settings: 's1',
      outputs: ['v.txt'],
      frames: 1,
      framesWithFace: 1,
      faces: 1,
      tracks: 1,
      seconds: 0,
    });
    writeFileSync(join(dir, LEDGER_NAME), readFileSync(join(dir, LEDGER_NAME), 'utf8') + '{"name":"w","pa');
    const again = new FinishedLedger(dir);
    assert.ok(again.complete({ name: 'v', path: video }, 's1'));
    assert.equal(again.complete({ name: 'v', path: video }, 's2'), undefined, 'other settings');
    writeFileSync(video, 'xy');
    assert.equal(again.complete({ name: 'v', path: video }, 's1'), undefined, 'the input changed');
  });
});

describe('one batch run per output folder', () => {
  test('a second run on the same --out-dir is refused naming the first; a lock left by a dead process is taken over', async () => {
    const dir = tmp();
    const release = lockOutDir(dir);
    assert.throws(() => lockOutDir(dir), new RegExp(`in use by another batch run \\(pid ${process.pid} on `));
    const r = await cli(['batch', '--input', join(PACKAGE_ROOT, 'samples', 'video.mp4'), '--out-dir', dir, '--quiet']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^fer-stream: --out-dir .* is in use by another batch run \\(pid ${process.pid} `));
    assert.ok(!existsSync(join(dir, 'video.txt')));
    release();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, LOCK_NAME), JSON.stringify({ pid: Number(dead.stdout), host: hostname(), startedAt: 'then' }));
    lockOutDir(dir)();
    assert.ok(!existsSync(join(dir, LOCK_NAME)), 'released');
  });
});

describe('fer-stream batch on real videos', () => {
  let dir: string;
  before(() => {
    dir = tmp();
    makeTestSet(join(dir, 'set'), 3, 30);
  });

  test('a corrupt video among good ones is reported, the rest complete, exit 1; a rerun skips the finished ones', async () => {
    const set = join(dir, 'with-broken');
    makeTestSet(set, 2, 20, true);
    const out = join(dir, 'out-broken');
    const r = await cli(['batch', '--input', set, '--out-dir', out, '--jobs', '2']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /1 of 3 video\(s\) failed: .*broken\.mp4/);
    const summary = JSON.parse(readFileSync(join(out, 'batch-summary.json'), 'utf8'));
    assert.deepEqual(
      summary.videos.map((v: { name: string; status: string }) => `${v.name}:${v.status}`),
      ['broken:failed', 'clip1:done', 'clip2:done'],
    );
    assert.equal(summary.videos[1].frames, 20);
    assert.equal(readFileSync(join(out, 'clip1.txt'), 'utf8').trim().split('\n').length, 21);
    const again = await cli(['batch', '--input', set, '--out-dir', out]);
    assert.match(again.stderr, /0 done, 2 already complete, 1 failed/);
  });

  test('shards 0/2 and 1/2, merged, equal one full run; merge names a missing shard', async () => {
    const full = join(dir, 'full');
    assert.equal((await cli(['batch', '--input', join(dir, 'set'), '--out-dir', full, '--format', 'abaw-expr-single', '--quiet'])).code, 0);
    for (const i of [0, 1]) {
      const r = await cli(
        ['batch', '--input', join(dir, 'set'), '--out-dir', join(dir, `shard${i}`), '--format', 'abaw-expr-single', '--quiet'],
        { SLURM_ARRAY_TASK_ID: String(i), SLURM_ARRAY_TASK_COUNT: '2' },
      );
      assert.equal(r.code, 0, r.stderr);
    }
    const counts = [0, 1].map((i) => JSON.parse(readFileSync(join(dir, `shard${i}`, 'batch-summary.json'), 'utf8')).videos.length);
    assert.deepEqual(counts, [2, 1]);
    const merged = join(dir, 'merged.txt');
    const m = await cli(['merge', '--out', merged, join(dir, 'shard0'), join(dir, 'shard1')]);
    assert.equal(m.code, 0, m.stderr);
    assert.equal(readFileSync(merged, 'utf8'), readFileSync(join(full, 'predictions.txt'), 'utf8'));
    const lacking = await cli(['merge', '--out', join(dir, 'partial.txt'), join(dir, 'shard0')]);
    assert.equal(lacking.code, 1);
    assert.match(lacking.stderr, /1 of 3 video\(s\) have no finished output: clip2; nothing written/);
    assert.ok(!existsSync(join(dir, 'partial.txt')));
    // The count printed is the count written: 30 frames for each of the 3 videos.
    assert.match(m.stderr, /merged 3 of 3 video\(s\) from 2 shard\(s\) into .* \(90 frames\)/);
    assert.equal(readFileSync(merged, 'utf8').trim().split('\n').length, 91);
    // A per-video file cut short since it was written is an error naming it, nothing written.
    const clip1 = join(dir, 'shard0', 'clip1.txt');
    writeFileSync(clip1, readFileSync(clip1, 'utf8').split('\n').slice(0, 5).join('\n') + '\n');
    const cut = await cli(['merge', '--out', join(dir, 'cut.txt'), join(dir, 'shard0'), join(dir, 'shard1')]);
    assert.equal(cut.code, 1);
    assert.match(cut.stderr, /clip1\.txt: 4 frame\(s\), but its video has 30/);
    assert.ok(!existsSync(join(dir, 'cut.txt')));
  });

  test('killed (SIGKILL) after its first video: no partial file, and the rerun gives the outputs of an uninterrupted run', async () => {
    const out = join(dir, 'killed');
    const bin = join(PACKAGE_ROOT, 'bin', 'fer-stream.js');
    const child = spawn(
      process.execPath,
      [bin, 'batch', '--input', join(dir, 'set'), '--out-dir', out, '--format', 'abaw-expr-single', '--quiet', '--jobs', '1'],
      { stdio: 'ignore' },
    );
    const ledger = join(out, LEDGER_NAME);
    while (!(existsSync(ledger) && readFileSync(ledger, 'utf8').includes('\n'))) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const left = readdirSync(out);
    assert.ok(!left.some((f) => f.endsWith('.tmp')), `no temporary file: ${left.join(', ')}`);
    assert.ok(!left.includes('predictions.txt'), 'the single file is written only when every video is done');
    const r = await cli(['batch', '--input', join(dir, 'set'), '--out-dir', out, '--format', 'abaw-expr-single']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /already complete/);
    assert.equal(readFileSync(join(out, 'predictions.txt'), 'utf8'), readFileSync(join(dir, 'full', 'predictions.txt'), 'utf8'));
  });

  test("--frame-counts forces each output to the organisers' length and reports it", async () => {
    const out = join(dir, 'counted');
    writeFileSync(join(dir, 'counts.csv'), 'clip1,32\nclip2,29\nclip3,30\n');
    const r = await cli(['batch', '--input', join(dir, 'set'), '--out-dir', out, '--frame-counts', join(dir, 'counts.csv')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /clip1: 30 frames decoded, 32 expected: padded 2/);
    assert.match(r.stderr, /clip2: 30 frames decoded, 29 expected: trimmed 1/);
    const lines = (name: string) =>
      readFileSync(join(out, `${name}.txt`), 'utf8')
        .trim()
        .split('\n')
        .slice(1);
    assert.equal(lines('clip1').length, 32);
    assert.equal(lines('clip1')[31], lines('clip1')[29], 'padded with the last label');
    assert.equal(lines('clip2').length, 29);
  });
});

function makeDir(dir: string, files: Record<string, string>) {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}
