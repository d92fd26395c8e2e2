import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/inputError.js';
import { naturalCompare } from '../util/mediaNames.js';
import { joinAbawExprFiles } from './abawSingleFile.js';
import { SUMMARY_NAME, type BatchSummary, type VideoResult } from './batchRun.js';

export interface MergeResult {
  /** The ABAW single file's text, from every finished video's abaw-expr files, and its rows (frames). */
  singleFile: string;
  rows: number;
  /** The per-video files it was joined from. */
  files: string[];
  /** One summary for all shards. */
  summary: {
    shards: string[];
    allVideos: string[];
    missing: string[];
    failed: string[];
    videos: VideoResult[];
    totals: { videos: number; finished: number; missing: number; frames: number };
  };
}

/**
 * Joins the outputs of shard folders (each a `fer-stream batch --out-dir`) into ABAW's single file and one
 * summary. Every summary lists all the batch's videos, so a video that no shard finished (a shard that never
 * ran, a failed video) is named as missing.
 */
export function mergeShards(dirs: string[], frameCounts?: Map<string, number>): MergeResult {
  const summaries = dirs.map((dir) => {
    const file = join(dir, SUMMARY_NAME);
    if (!existsSync(file)) throw new InputError(`${dir}: no ${SUMMARY_NAME} (not a finished fer-stream batch folder)`);
    return { dir, summary: JSON.parse(readFileSync(file, 'utf8')) as BatchSummary };
  });
  const formats = new Set(summaries.map((s) => s.summary.settings.format));
  if ([...formats].some((f) => f !== 'abaw-expr' && f !== 'abaw-expr-single')) {
    throw new InputError(`merge joins abaw-expr outputs; these shards were made as ${[...formats].join(', ')}`);
  }
  const keys = new Set(summaries.map((s) => JSON.stringify({ ...s.summary.settings, manifest: undefined })));
  if (keys.size > 1) throw new InputError('the shards were made with different settings; merge would mix them');
  const allVideos = [...new Set(summaries.flatMap((s) => s.summary.allVideos))].sort(naturalCompare);
  const finished = new Map<string, { dir: string; result: Extract<VideoResult, { status: 'done' | 'skipped' }> }>();
  for (const { dir, summary } of summaries) {
    for (const v of summary.videos) {
      if (v.status === 'failed') continue;
      if (finished.has(v.name))
        throw new InputError(`${v.name} was scored in two shards (${finished.get(v.name)!.dir}, ${dir}); give each shard once`);
      finished.set(v.name, { dir, result: v });
    }
  }
  const missing = allVideos.filter((name) => !finished.has(name));
  const failed = summaries.flatMap((s) => s.summary.videos.filter((v) => v.status === 'failed').map((v) => v.name));
  // Each per-video file holds one line per frame: the frames its summary says, or the organisers' count.
  const perVideo = [...finished.values()].flatMap(({ dir, result }) =>
    result.outputs.map((o) => ({ path: join(dir, o), frames: frameCounts?.get(result.name) ?? result.frames })),
  );
  const videos = [...finished.values()].map((f) => f.result);
  const joined = joinAbawExprFiles(perVideo);
  return {
    singleFile: joined.text,
    rows: joined.rows,
    files: perVideo.map((f) => f.path),
    summary: {
      shards: dirs,
      allVideos,
      missing,
      failed,
      videos,
      totals: {
        videos: allVideos.length,
        finished: finished.size,
        missing: missing.length,
        frames: videos.reduce((a, v) => a + v.frames, 0),
      },
    },
  };
}
