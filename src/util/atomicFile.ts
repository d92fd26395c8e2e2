import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fsReason, OutputError } from './outputSafety.js';

/** A temporary name beside `path`, so that the final rename stays on one file system. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

/**
 * Writes a whole file or nothing: data goes to a temporary file beside `path`, is flushed, then renamed
 * over `path`. A crash or error leaves the previous file (or none), never a half-written one. A failure
 * (a full disk, a read-only file system) is an OutputError that names `path` (as `label` says it), never
 * the hidden temporary file.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, label = path): void {
  const tmp = tempPathFor(path);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new OutputError(`${label}: cannot write (${fsReason(err)}); ${path} was left as it was`);
  }
}
