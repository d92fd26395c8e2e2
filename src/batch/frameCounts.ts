import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { InputError } from '../util/inputError.js';
import { videoName } from '../sinks/writeVideoOutputs.js';

/**
 * The organisers' frame count of each video, by video name: from a list (`video,frames` per line, a header
 * line allowed) or a folder of their per-video files (`<video>.txt`: a header, then one line per frame).
 */
export function readFrameCounts(source: string): Map<string, number> {
  const counts = new Map<string, number>();
  const st = statSync(source, { throwIfNoEntry: false });
  if (!st) throw new InputError(`--frame-counts ${source}: no such file or folder`);
  if (st.isDirectory()) {
    for (const file of readdirSync(source).filter((f) => extname(f).toLowerCase() === '.txt')) {
      const lines = readFileSync(join(source, file), 'utf8')
        .split(/\r?\n/)
        .filter((l) => l.trim() !== '');
      counts.set(videoName(file), lines.length - (lines.length && !/^-?\d+$/.test(lines[0].trim()) ? 1 : 0));
    }
    if (!counts.size) throw new InputError(`--frame-counts ${source}: no .txt files in the folder`);
    return counts;
  }
  readFileSync(source, 'utf8')
    .split(/\r?\n/)
    .forEach((line, i) => {
      const cells = line.split(',').map((c) => c.trim());
      if (!line.trim() || (i === 0 && !/^\d+$/.test(cells[1] ?? ''))) return;
      const n = Number(cells[1]);
      if (cells.length !== 2 || !cells[0] || !Number.isInteger(n) || n < 0)
        throw new InputError(`--frame-counts ${source}:${i + 1}: expected "video,frames", got "${line}"`);
      counts.set(videoName(cells[0]), n);
    });
  if (!counts.size) throw new InputError(`--frame-counts ${source}: no "video,frames" lines`);
  return counts;
}
