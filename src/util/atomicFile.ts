import {
  closeSync,
  fsyncSync,
  lstatSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fsReason, isStreamOutput, OutputError, specialKind, STDOUT } from './outputSafety.js';

/** A temporary name beside `path`, so that the final rename stays on one file system. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

/**
 * Where an atomic write of `path` lands: through a symbolic link to its target (so the link stays a link),
 * and only ever onto a regular file or a new name. Renaming over a device, a FIFO or a socket would replace
 * it (as root, `/dev/full` became a file): that is an OutputError.
 */
function atomicTarget(path: string, label: string): string {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return path; // a new file
  }
  if (st.isSymbolicLink()) {
    let target: string;
    try {
      target = realpathSync(path);
    } catch {
      return path; // a dangling link: replaced by the file, as any missing name would be
    }
    st = statSync(target);
    path = target;
  }
  const kind = specialKind(st);
  if (kind) throw new OutputError(`${label}: ${path} is ${kind}, not a file; refusing to replace it`);
  return path;
}

/**
 * Writes a whole file or nothing: data goes to a temporary file beside `path`, is flushed, then renamed
 * over `path`. A crash or error leaves the previous file (or none), never a half-written one. A failure
 * (a full disk, a read-only file system) is an OutputError that names `path` (as `label` says it), never
 * the hidden temporary file. `path` may be a symbolic link to a file, never a device, FIFO or socket.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, label = path): void {
  const target = atomicTarget(path, label);
  const tmp = tempPathFor(target);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new OutputError(`${label}: cannot write (${fsReason(err)}); ${path} was left as it was`);
  }
}

/**
 * An output the user named: a stream (standard output, a FIFO, a character device) is written straight
 * through, since it cannot be replaced; anything else atomically (writeFileAtomic).
 */
export function writeOutput(path: string, data: string | Uint8Array, label = path): void {
  if (!isStreamOutput(path)) return writeFileAtomic(path, data, label);
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let fd = 1;
  try {
    if (path !== STDOUT) fd = openSync(path, 'w');
    for (let at = 0; at < bytes.length;) {
      try {
        at += writeSync(fd, bytes, at, bytes.length - at);
      } catch (err) {
        // A non-blocking pipe whose reader is behind: wait for it rather than lose the rest.
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
    }
  } catch (err) {
    // The reader went away (`| head`): what it wanted it has; as for any command-line tool, not an error.
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return;
    throw new OutputError(`${label}: cannot write (${fsReason(err)})`);
  } finally {
    if (fd !== 1) closeSync(fd);
  }
}
