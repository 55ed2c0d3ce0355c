import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { busyError } from '../errors.js';
import { ownMark, processGone } from '../process-identity.js';
import { LockQueue } from './lock-queue.js';

/**
 * A lock file that names its holder (pid, host, since) and can be broken safely.
 *
 * Why not proper-lockfile: it judges staleness by mtime only (a holder killed with -9 blocks
 * everyone for the whole stale period), keeps a timer alive to refresh the mtime, cannot say who
 * holds the lock, and two processes can both break the same stale lock and both hold it.
 *
 * Here a lock is created complete and atomically (`link` of a fully written temp file, which fails
 * if the lock exists). The lock of a live process on this host is never broken, however old
 * (a holder stopped with SIGSTOP, a laptop asleep, a debugger): only a holder that is gone — a
 * dead pid, a pid reused by another process (its start time differs), a holder from before a
 * reboot — is broken at once. A holder on another host (a shared folder) can only be judged by
 * time: older than `staleMs`, and never when its `since` lies in the future (clock skew).
 * Breaking goes through a short guard: under the guard the breaker re-reads the lock and removes
 * it only if it is still the very lock it judged stale (same nonce), so two breakers can never
 * remove a fresh lock taken in between.
 *
 * Fencing: a holder re-verifies before each write and before the commit that the lock file still
 * carries its nonce (`assertHeld`), and gives up with exit 5 otherwise.
 */
export interface LockHolder {
  pid: number;
  host: string;
  since: string;
  nonce: string;
  command?: string;
  /** Start time of the process (Linux, clock ticks since boot): tells a reused pid from the holder. */
  start?: string;
  /** This boot (Linux): a holder from before a reboot is gone. */
  boot?: string;
}

export interface LockOptions {
  timeoutMs: number;
  staleMs: number;
  command?: string;
  /** Called once when the wait passes `noticeAfterMs`, naming the holder. */
  onWait?: (holder: string) => void;
  noticeAfterMs?: number;
}

export interface Lock {
  readonly path: string;
  readonly holder: LockHolder;
  release(): void;
  /** Throws (exit 5) when this process no longer holds the lock. */
  assertHeld(): void;
}

const GUARD_STALE_MS = 2_000; // the guard is held for a few syscalls only

export function readHolder(path: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return typeof parsed.pid === 'number' && typeof parsed.nonce === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Why a lock is stale, or undefined when its holder may still be working. */
export function staleReason(path: string, holder: LockHolder | undefined, staleMs: number, now = Date.now()): string | undefined {
  if (holder && holder.host === hostname()) return localHolderGone(holder);
  const since = holder ? Date.parse(holder.since) : mtimeOf(path);
  if (since === undefined || !Number.isFinite(since) || since > now) return undefined; // a clock ahead of ours proves nothing
  if (now - since > staleMs) return `held for more than ${staleMs} ms${holder ? ` by a process on ${holder.host}` : ''}`;
  return undefined;
}

/** Why a holder on this host is gone, or undefined while it lives (however long it has held the lock). */
function localHolderGone(holder: LockHolder): string | undefined {
  const gone = processGone(holder);
  return gone ? `holder ${gone}` : undefined;
}

function mtimeOf(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Create `path` holding `holder`, atomically; false if it already exists. */
function tryCreate(path: string, holder: LockHolder): boolean {
  const temp = `${path}.${holder.nonce}.tmp`;
  const fd = openSync(temp, 'wx');
  try {
    writeSync(fd, JSON.stringify(holder));
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    tryUnlink(temp);
  }
}

function removeIfSame(path: string, nonce: string | undefined): boolean {
  if (readHolder(path)?.nonce !== nonce) return false;
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}


function makeHolder(command?: string): LockHolder {
  return {
    ...ownMark(),
    host: hostname(),
    since: new Date().toISOString(),
    nonce: randomBytes(8).toString('hex'),
    ...(command ? { command } : {}),
  };
}

/** Remove a stale lock through the guard; returns true when the caller should retry at once. */
function breakStale(path: string, judged: LockHolder | undefined, staleMs: number): boolean {
  const guardPath = `${path}.break`;
  const guard = makeHolder('break');
  if (!tryCreate(guardPath, guard)) {
    const other = readHolder(guardPath);
    if (staleReason(guardPath, other, GUARD_STALE_MS)) {
      // A breaker died inside the guard. Move its guard aside by name, then check it was that one.
      const aside = `${guardPath}.${guard.nonce}.dead`;
      try {
        renameSync(guardPath, aside);
        unlinkSync(aside);
      } catch {
        /* someone else cleared it */
      }
    }
    return false;
  }
  try {
    const current = readHolder(path);
    if (current?.nonce === judged?.nonce && staleReason(path, current, staleMs)) {
      return judged ? removeIfSame(path, judged.nonce) : tryUnlink(path);
    }
    return true;
  } finally {
    removeIfSame(guardPath, guard.nonce);
  }
}

function tryUnlink(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'an unknown process';
  const command = holder.command ? ` (${holder.command})` : '';
  return `pid ${holder.pid} on ${holder.host}${command}, since ${holder.since}`;
}

/**
 * Take the lock, retrying with backoff up to `timeoutMs`; exit 5 naming the holder on timeout.
 * Waiters take it in the order they came (lock-queue.ts).
 */
export async function acquireLock(path: string, options: LockOptions): Promise<Lock> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const queue = new LockQueue(path);
  let queued = false;
  let delay = 2;
  let noticed = false;
  try {
    for (;;) {
      const holder = makeHolder(options.command);
      const turn = queued ? queue.isFirst(options.staleMs) : !queue.anyWaiting();
      if (turn && tryCreate(path, holder)) return heldLock(path, holder);
      if (!queued) {
        queue.join();
        queued = true;
      }
      const current = readHolder(path);
      if (staleReason(path, current, options.staleMs)) {
        if (breakStale(path, current, options.staleMs)) continue;
      }
      const now = Date.now();
      if (now >= deadline) {
        throw busyError(
          `state is locked by ${describeHolder(readHolder(path) ?? current)}; gave up after ${options.timeoutMs} ms`,
          `wait for it to finish and retry; a live process's lock is never broken — if that process is stuck, stop it (kill ${current?.pid ?? '<pid>'})`,
        );
      }
      if (!noticed && options.onWait && now - started >= (options.noticeAfterMs ?? 1_000)) {
        noticed = true;
        options.onWait(describeHolder(current));
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 50);
    }
  } finally {
    queue.leave();
  }
}

function heldLock(path: string, holder: LockHolder): Lock {
  return {
    path,
    holder,
    release: () => {
      removeIfSame(path, holder.nonce);
    },
    assertHeld: () => {
      const now = readHolder(path);
      if (now?.nonce !== holder.nonce) {
        throw busyError(`lost the state lock to ${describeHolder(now)} while working; nothing more was written`, 'retry the command; what it wrote before is rolled back');
      }
    },
  };
}

/** Run `fn` holding the lock; the lock is released on every path, errors included. */
export async function withLock<T>(path: string, options: LockOptions, fn: (lock: Lock) => Promise<T> | T): Promise<T> {
  const lock = await acquireLock(path, options);
  try {
    return await fn(lock);
  } finally {
    lock.release();
  }
}
