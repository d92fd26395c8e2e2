import { accessSync, closeSync, constants, openSync, readdirSync, rmSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * An output that must not or cannot be written. `usage` marks a mistake in the command line (an output that
 * is one of the inputs: exit 2); otherwise the location itself is at fault (exit 1).
 */
export class OutputError extends Error {
  constructor(
    message: string,
    readonly usage = false,
  ) {
    super(message);
    this.name = 'OutputError';
  }
}

const REASONS: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'the folder does not accept new files',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

/** A file-system error as a short reason: `read-only file system (EROFS)`. */
export function fsReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const reason = e.code ? REASONS[e.code] : undefined;
  return reason ? `${reason} (${e.code})` : String(e.message ?? err).split('\n')[0];
}

const identity = (path: string) => {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
};

/**
 * The files a run reads, known by device and inode, so that an output path reaching one of them by any name
 * (itself, a symlink, a hard link, `..`) is refused before anything is written.
 */
export class InputFiles {
  private readonly byIdentity = new Map<string, string>();

  /** Adds files that exist; folders add nothing of their own (outputs are files). */
  add(...paths: string[]): this {
    for (const p of paths) {
      const id = identity(p);
      if (id && !this.byIdentity.has(id)) this.byIdentity.set(id, p);
    }
    return this;
  }

  /** Adds every file directly inside a folder (a model cache). */
  addFolder(folder: string): this {
    try {
      for (const name of readdirSync(folder)) this.add(join(folder, name));
    } catch {
      // no folder, nothing to protect
    }
    return this;
  }

  /** The input that `path` is, if any. */
  inputAt(path: string): string | undefined {
    const id = identity(path);
    return id ? this.byIdentity.get(id) : undefined;
  }

  /** Throws a usage OutputError when any of `outputs` is one of the inputs. */
  refuseOverwrite(outputs: string[], flag = '--out'): void {
    for (const out of outputs) {
      const input = this.inputAt(out);
      if (input) {
        const same = resolve(input) === resolve(out) ? '' : ` (${input})`;
        throw new OutputError(`${flag} ${out} is an input of this run${same}; refusing to overwrite it`, true);
      }
    }
  }
}

/**
 * Checks, before any work, that the outputs can be written where `out` says: the nearest existing folder on
 * the way must be a folder that accepts a new file (one is created and removed). Missing folders below it are
 * made later by the writer. Throws an OutputError naming `--out` and the reason.
 */
export function assertWritable(out: string, asFolder = false, flag = '--out'): void {
  if (!asFolder && writtenAsStream(out, flag)) return;
  let dir = asFolder ? resolve(out) : dirname(resolve(out));
  for (;;) {
    let st;
    try {
      st = statSync(dir);
    } catch {
      const parent = dirname(dir);
      if (parent === dir) throw new OutputError(`${flag} ${out}: cannot write there (no existing folder on the path)`);
      dir = parent;
      continue;
    }
    if (!st.isDirectory()) throw new OutputError(`${flag} ${out}: cannot write there (${dir} is a file, not a folder)`);
    break;
  }
  const probe = join(dir, `.fer-stream-probe-${process.pid}-${Date.now().toString(36)}`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (err) {
    throw new OutputError(`${flag} ${out}: cannot write there (${fsReason(err)})`);
  }
  rmSync(probe, { force: true });
}

/** What a path that is not a regular file is, in words; undefined for a regular file. */
export function specialKind(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** `--out -`: standard output, which users of command-line tools expect. */
export const STDOUT = '-';

/**
 * Whether `path` is written as a stream rather than a file: standard output, or a FIFO or character
 * device (a pipe someone reads, a terminal, /dev/null), followed through symbolic links. A block device
 * or a socket never is (assertWritable refuses them before the work; writeFileAtomic never replaces them).
 */
export function isStreamOutput(path: string): boolean {
  if (path === STDOUT) return true;
  try {
    const st = statSync(path);
    return st.isFIFO() || st.isCharacterDevice();
  } catch {
    return false;
  }
}

/**
 * `-` (standard output), a FIFO or a character device is written as a stream (isStreamOutput): it must accept
 * writing. A block device or a socket is refused (never replaced by a file). False for anything else.
 */
function writtenAsStream(out: string, flag: string): boolean {
  if (out === STDOUT) return true;
  let st;
  try {
    st = statSync(out);
  } catch {
    return false;
  }
  if (st.isBlockDevice() || st.isSocket()) {
    throw new OutputError(`${flag} ${out}: is ${specialKind(st)}; fer-stream writes files, pipes and character devices only`);
  }
  if (!isStreamOutput(out)) return false;
  try {
    accessSync(out, constants.W_OK);
  } catch (err) {
    throw new OutputError(`${flag} ${out}: cannot write there (${fsReason(err)})`);
  }
  return true;
}
