import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import type { Repo } from './repo.js';
import { gitProcessesIn } from './index-lock.js';
import { patch, type IndexUpdate, type PatchedIndex, type PatchProblem } from './index-patch.js';
import { readShape, writeShape } from './index-shape.js';
import { removeOrphanedRefLocks } from './ref-update.js';
import { ownMark, processGone, type ProcessMark } from '../process-identity.js';

export type { IndexUpdate, PatchedIndex, PatchProblem } from './index-patch.js';

interface IndexLockMark extends ProcessMark {
  ino: number;
  birth: number;
}

function leaveMark(markPath: string, fd: number): void {
  const stat = fstatSync(fd);
  try {
    writeFileSync(markPath, JSON.stringify({ ...ownMark(), ino: stat.ino, birth: stat.birthtimeMs } satisfies IndexLockMark));
  } catch {
    /* no local folder yet: the lock is then only waited for, as any other */
  }
}

function removeOurOrphan(repo: Repo, lockPath: string, markPath: string): boolean {
  let mark: IndexLockMark;
  try {
    mark = JSON.parse(readFileSync(markPath, 'utf8')) as IndexLockMark;
    const stat = statSync(lockPath);
    if (typeof mark.pid !== 'number' || mark.ino !== stat.ino || mark.birth !== stat.birthtimeMs) return false;
  } catch {
    return false;
  }
  if (!existsSync('/proc/self/stat')) return false; // no way to see the git processes here
  if (!processGone(mark) || gitProcessesIn(repo).length > 0) return false;
  rmSync(lockPath, { force: true });
  removeOrphanedRefLocks(repo, mark.birth); // it was killed moving HEAD, under this index.lock
  return true;
}


/** Every byte of `parts`, in order (writev may write less than asked). */
function writeAll(fd: number, parts: Buffer[]): void {
  let pending = parts.filter((part) => part.length > 0);
  while (pending.length > 0) {
    let written = writevSync(fd, pending);
    const rest: Buffer[] = [];
    for (const part of pending) {
      if (written >= part.length) written -= part.length;
      else {
        rest.push(written > 0 ? part.subarray(written) : part);
        written = 0;
      }
    }
    pending = rest;
  }
}

/** git's index.lock, held while our commit moves HEAD, so no other git command changes the index meanwhile. */
export class IndexLock {
  private fd = -1;
  private done = false;

  private constructor(
    private readonly indexPath: string,
    private readonly shapePath: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /**
   * Take index.lock; 'locked' when another git command holds it. Ours carries a mark (who took it,
   * which file it is) so that one left by an agentstate process killed while holding it is removed
   * at once by the next writer: its owner is gone, it is the very file the owner took, and no git
   * process works in this repository. Any other index.lock is waited for, never removed.
   */
  static acquire(repo: Repo): IndexLock | 'locked' {
    const indexPath = join(repo.gitDir, 'index');
    const markPath = join(repo.gitDir, 'agentstate', 'index-lock-owner');
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(`${indexPath}.lock`, 'wx', 0o644);
        leaveMark(markPath, fd);
        return new IndexLock(indexPath, join(repo.gitDir, 'agentstate', 'index-shape'), fd);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (attempt > 0 || !removeOurOrphan(repo, `${indexPath}.lock`, markPath)) return 'locked';
      }
    }
  }

  /** The index with the entries pointed at the new blobs (its parts, in order), or why that cannot be done here. */
  prepare(updates: IndexUpdate[], hexLength: number): PatchedIndex | PatchProblem {
    let index: Buffer;
    try {
      index = readFileSync(this.indexPath);
    } catch {
      return 'unsupported';
    }
    return patch(index, updates, hexLength, readShape(this.shapePath));
  }

  /** Write the new index and put it in place (the rename releases the lock). */
  install(patched: PatchedIndex, durable = false): void {
    writeAll(this.fd, patched.parts);
    if (durable) fsyncSync(this.fd); // as git: only when core.fsync names the index
    closeSync(this.fd);
    this.fd = -1;
    renameSync(`${this.indexPath}.lock`, this.indexPath);
    this.done = true;
    writeShape(this.shapePath, patched.shape);
  }

  /** Give the lock back without changing the index (every path that did not install). */
  release(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    if (this.done) return;
    this.done = true;
    try {
      unlinkSync(`${this.indexPath}.lock`);
    } catch {
      /* already gone */
    }
  }
}

