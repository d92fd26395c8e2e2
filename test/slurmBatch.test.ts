import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { cli } from './helpers/cli.js';
import { slurmUnavailable, startSlurm, type SlurmCluster } from './helpers/slurmCluster.js';
import { makeTestSet } from './helpers/testSet.js';

const unavailable = slurmUnavailable();

describe('deploy/slurm on a real one-node Slurm cluster', { skip: unavailable }, () => {
  let cluster: SlurmCluster;
  const dir = mkdtempSync(join(tmpdir(), 'fer-slurm-'));
  before(() => {
    cluster = startSlurm(join(dir, 'cluster'));
    makeTestSet(join(dir, 'set'), 3, 24);
  });
  after(() => cluster?.stop());

  test('the sbatch array script over a test set with N = 2, merged, equals one batch run', async () => {
    const root = join(dir, 'shards');
    const submitted = spawnSync(
      'sbatch',
      [
        '--wait',
        '--array=0-1',
        '--cpus-per-task=1',
        '--mem=1G',
        `--chdir=${dir}`,
        `--export=ALL,FER_STREAM=${process.execPath} ${join(PACKAGE_ROOT, 'bin', 'fer-stream.js')}`,
        join(PACKAGE_ROOT, 'deploy', 'slurm', 'fer-stream-array.sbatch'),
        join(dir, 'set'),
        root,
        '--format',
        'abaw-expr-single',
      ],
      { env: cluster.env, encoding: 'utf8', timeout: 300_000 },
    );
    const logs = () => spawnSync('sh', ['-c', `cat ${dir}/fer-stream-*.log`], { encoding: 'utf8' }).stdout;
    assert.equal(submitted.status, 0, `sbatch: ${submitted.stderr}\n${logs()}`);
    for (const i of [0, 1]) {
      const summary = JSON.parse(readFileSync(join(root, `shard-${i}`, 'batch-summary.json'), 'utf8'));
      assert.deepEqual(summary.shard, { index: i, count: 2 }, 'the shard came from SLURM_ARRAY_TASK_ID/COUNT');
    }
    const merged = join(dir, 'merged.txt');
    const m = await cli(['merge', '--out', merged, join(root, 'shard-0'), join(root, 'shard-1')]);
    assert.equal(m.code, 0, m.stderr);
    const single = await cli([
      'batch',
      '--input',
      join(dir, 'set'),
      '--out-dir',
      join(dir, 'single'),
      '--format',
      'abaw-expr-single',
      '--quiet',
    ]);
    assert.equal(single.code, 0, single.stderr);
    assert.equal(readFileSync(merged, 'utf8'), readFileSync(join(dir, 'single', 'predictions.txt'), 'utf8'));
  });
});
