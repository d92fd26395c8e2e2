import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchVideo } from './batchInputs.js';
import type { FrameCountChange } from '../pipeline/videoJob.js';

/** What a finished video left: enough to skip it on a rerun, and to report it again in the summary. */
export interface FinishedVideo {
  name: string;
  path: string;
  size: number;
  mtimeMs: number;
  /** Hash of the settings that made the outputs (batchSettingsKeys). */
  settings: string;
  /** Output files, relative to the output folder. */
  outputs: string[];
  frames: number;
  framesWithFace: number;
  faces: number;
  tracks: number;
  seconds: number;
  frameCount?: FrameCountChange;
  /** Why the video ended early, when --accept-short let its frames stand. */
  short?: string;
}

export const LEDGER_NAME = '.fer-stream-finished.jsonl';

/**
 * The resume ledger of an output folder: one JSON line per finished video, appended (and flushed) only after
 * all its output files were written, each atomically. A rerun skips a video whose line matches its input
 * (size, mtime), the settings, and whose outputs are all there; anything else is done again. A kill at any
 * moment leaves at worst a torn last line, which is ignored.
 */
export class FinishedLedger {
  private readonly file: string;
  private readonly entries = new Map<string, FinishedVideo>();

  constructor(private readonly outDir: string) {
    this.file = join(outDir, LEDGER_NAME);
    if (!existsSync(this.file)) return;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const entry = JSON.parse(line) as FinishedVideo;
        if (typeof entry.name === 'string' && Array.isArray(entry.outputs)) this.entries.set(entry.name, entry);
      } catch {
        // a line torn by a kill: that video is simply done again
      }
    }
  }

  /** The ledger entry that lets `video` be skipped with `settings`, if its outputs are complete. */
  complete(video: BatchVideo, settings: string): FinishedVideo | undefined {
    const entry = this.entries.get(video.name);
    if (!entry || entry.settings !== settings || entry.path !== video.path) return undefined;
    const st = statSync(video.path, { throwIfNoEntry: false });
    if (!st || st.size !== entry.size || st.mtimeMs !== entry.mtimeMs) return undefined;
    return entry.outputs.every((o) => existsSync(join(this.outDir, o))) ? entry : undefined;
  }

  record(entry: FinishedVideo): void {
    this.entries.set(entry.name, entry);
    const fd = openSync(this.file, 'a');
    try {
      appendFileSync(fd, JSON.stringify(entry) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Removes temporary files a killed run left in `dir` (writeFileAtomic's `.<name>.<pid>.<stamp>.tmp`), unless
 * their process still runs (another shard writing to the same folder).
 */
export function removeStaleTempFiles(dir: string): number {
  let removed = 0;
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const m = /^\..+\.(\d+)\.[0-9a-z]+\.tmp$/.exec(name);
    if (!m || isRunning(Number(m[1]))) continue;
    rmSync(join(dir, name), { force: true });
    removed++;
  }
  return removed;
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
