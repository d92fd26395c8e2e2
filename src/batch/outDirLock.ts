import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../util/inputError.js';

export const LOCK_NAME = '.fer-stream-batch.lock';

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

/** Whether a process of this machine still runs (signal 0 tests without sending). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One batch run per output folder: two runs on the same `--out-dir` would both score every video and write
 * the ledger twice. The lock is a file made with O_EXCL naming its owner; a lock left by a process of this
 * machine that no longer runs (killed) is taken over; one from another machine (a shared file system) is
 * honoured, and says so. Returns the release.
 */
export function lockOutDir(outDir: string): () => void {
  const path = join(outDir, LOCK_NAME);
  const me: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(me) + '\n');
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner: LockOwner | undefined;
    try {
      owner = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    } catch {
      owner = undefined; // torn by a crash while being written: stale
    }
    if (owner && (owner.host !== me.host || alive(owner.pid))) {
      throw new InputError(
        `--out-dir ${outDir} is in use by another batch run (pid ${owner.pid} on ${owner.host}, started ${owner.startedAt}); wait for it, or give another --out-dir (remove ${path} if that run is gone)`,
      );
    }
    rmSync(path, { force: true }); // its owner is gone
  }
  throw new InputError(`--out-dir ${outDir}: cannot take its lock ${path}`);
}
