import { readFileSync, statSync } from 'node:fs';
import { checkedShard, parseShard, shardItems, type Shard } from '../util/shard.js';
import { dirname, isAbsolute, resolve } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { InputError } from '../util/inputError.js';
import { classifyInput } from '../pipeline/inputKind.js';
import { isVideoName, naturalCompare } from '../util/mediaNames.js';
import { videoName } from '../sinks/writeVideoOutputs.js';

/** One video of a batch: its path and the name its outputs carry. */
export interface BatchVideo {
  path: string;
  name: string;
}

/**
 * The videos `--input` names, each given as a folder of videos, a list file (one path per line, relative to
 * the list; `#` comments), a glob (quoted, so the shell leaves it), or a video. Sorted by name; two videos
 * with one name would write the same outputs, so that is an error naming both.
 */
export function listBatchVideos(inputs: string[]): BatchVideo[] {
  const paths: string[] = [];
  for (const input of inputs) {
    if (isDynamicPattern(input)) {
      const found = globSync(input, { absolute: true, onlyFiles: true }).filter(isVideoName);
      if (!found.length) throw new InputError(`--input ${input}: the pattern matches no video`);
      paths.push(...found);
      continue;
    }
    const st = statSync(input, { throwIfNoEntry: false });
    if (!st) throw new InputError(`--input ${input}: no such file or folder`);
    if (st.isFile() && !isVideoName(input)) {
      paths.push(...readListFile(input));
      continue;
    }
    const kind = classifyInput(input);
    if (kind.kind === 'video') paths.push(resolve(kind.path));
    else if (kind.kind === 'videos') paths.push(...kind.paths.map((p) => resolve(p)));
    else throw new InputError(`--input ${input}: no videos in the folder`);
  }
  const videos = [...new Set(paths)]
    .map((path) => ({ path, name: videoName(path) }))
    .sort((a, b) => naturalCompare(a.name, b.name) || naturalCompare(a.path, b.path));
  for (let i = 1; i < videos.length; i++) {
    if (videos[i].name === videos[i - 1].name) {
      throw new InputError(
        `two videos are named ${videos[i].name} (${videos[i - 1].path}, ${videos[i].path}); their outputs would be the same files`,
      );
    }
  }
  return videos;
}

function readListFile(list: string): string[] {
  const lines = readFileSync(list, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim());
  const paths = lines.filter((l) => l && !l.startsWith('#')).map((l) => (isAbsolute(l) ? l : resolve(dirname(list), l)));
  if (!paths.length) throw new InputError(`--input ${list}: the list names no video`);
  const notVideo = paths.filter((p) => !isVideoName(p));
  if (notVideo.length) throw new InputError(`--input ${list}: ${notVideo.length} line(s) do not name a video (first: ${notVideo[0]})`);
  return paths;
}

/**
 * Which shard this process is, from `--shard i/N`, else Slurm array variables, else a Kubernetes Indexed
 * Job's completion index (with the count from `--shards` or FER_STREAM_SHARDS); undefined: all videos.
 */
export function resolveShard(option: string | undefined, env: NodeJS.ProcessEnv = process.env, shardsOption?: string): Shard | undefined {
  if (option !== undefined) {
    return parseShard(option, '--shard');
  }
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    const min = Number(env.SLURM_ARRAY_TASK_MIN ?? 0);
    const count = Number(env.SLURM_ARRAY_TASK_COUNT ?? shardsOption ?? NaN);
    return checkedShard(Number(env.SLURM_ARRAY_TASK_ID) - min, count, 'SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT');
  }
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    const count = Number(shardsOption ?? env.FER_STREAM_SHARDS ?? NaN);
    return checkedShard(Number(env.JOB_COMPLETION_INDEX), count, 'JOB_COMPLETION_INDEX with --shards (or FER_STREAM_SHARDS)');
  }
  return undefined;
}

/**
 * The videos of one shard: every N-th of the list sorted by name, starting at i. Every shard lists the same
 * inputs, so each video is in exactly one shard whatever order they were given in, and the shards differ
 * in size by one video at most (a hash would leave a small test set unbalanced).
 */
export function shardVideos(videos: BatchVideo[], shard: Shard | undefined): BatchVideo[] {
  return shardItems(videos, shard);
}
