import { existsSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AgentstateError, failure } from '../errors.js';
import { appendDurably, refuseSymlinkedDirs, writeFileAtomic } from './durable.js';
import { faultPoint } from '../fault.js';
import { sleepSync } from '../sleep.js';
import type { StateContext } from './context.js';
import type { JournalRecord } from './journal.js';

/**
 * The changes one command makes, under the state lock. Every write is fenced (the lock must still
 * be ours), guarded (no symlinked folder on the way, room on the disk), and undoable: when the
 * command fails after its first write, `rollback` puts every file back byte for byte, so "nothing
 * was written" is true. What each file now holds is kept, so the commit records exactly the
 * bytes this command wrote, even if a git command touched the work tree meanwhile.
 */
export class Transaction {
  /** Absolute paths written (or to record) in this transaction. */
  readonly changed = new Set<string>();
  /** Records appended to logs (and task or runtime versions), for the write-ahead journal. */
  readonly records: JournalRecord[] = [];
  /** Journal entries of earlier commands that this commit records too (their keys). */
  readonly journalCarried: string[] = [];
  /** What each written file holds now. */
  readonly contents = new Map<string, Buffer>();
  /** Files to take out of git in this commit (absolute paths). */
  readonly untracked = new Set<string>();
  /**
   * Logs found to hold exactly HEAD's bytes (path -> that blob's name, and the bytes), and still
   * holding them when this transaction appended to them: the commit then needs no reconciling.
   */
  readonly matchedHead = new Map<string, { sha: string; bytes: Buffer }>();
  bootAffected = false;
  /** A log was sealed: the commit may run git's auto maintenance (rarely, so it costs little). */
  sealed = false;
  summary = '';
  recordId?: string;
  /** In commit mode with-code, record what is pending as a commit anyway (handoff, `agentstate commit`). */
  recordPending = false;
  private readonly undo: Array<() => void> = [];
  private readonly reads = new Map<string, Buffer | undefined>();
  private readonly appended = new Set<string>();
  private roomChecked = false;

  constructor(
    readonly context: StateContext,
    private readonly hooks: {
      /** Throws when the state lock is no longer ours. */
      fence?: () => void;
      /** Called before the first write to a path (the write-ahead note for the commit). */
      intend?: (path: string) => void;
      /** Called once per log, before the first append to it (healing what the work tree lost). */
      beforeAppend?: (path: string) => void;
    } = {},
  ) {}

  /** A file's current bytes (undefined when missing), read once per transaction. */
  read(path: string): Buffer | undefined {
    if (this.contents.has(path)) return this.contents.get(path);
    if (!this.reads.has(path)) this.reads.set(path, existsSync(path) ? readFileSync(path) : undefined);
    return this.reads.get(path);
  }

  /**
   * The file as it is on disk right now, for an append: a git command of the user's may rewrite
   * it between our reads (it unlinks, then creates), so a missing file is waited for briefly.
   */
  private reread(path: string): Buffer | undefined {
    for (let wait = 0; wait < 10; wait++) {
      if (existsSync(path)) break;
      sleepSync(20);
    }
    if (this.contents.has(path)) return this.contents.get(path);
    this.reads.delete(path);
    return this.read(path);
  }

  /** O(1) append of one record (or row) to a log; `record` names it for the journal. */
  /** Run the before-append hook for a log once (healing it), if it has not run yet. */
  beforeFirstAppend(path: string): void {
    if (!this.hooks.beforeAppend || this.appended.has(path)) return;
    this.appended.add(path);
    this.hooks.beforeAppend(path);
  }

  append(path: string, data: string, isComplete: (tail: string) => boolean, record?: JournalRecord): void {
    this.beforeFirstAppend(path);
    this.beforeWrite(path, Buffer.byteLength(data));
    let before: Buffer | undefined;
    let result: ReturnType<typeof appendDurably> | undefined;
    for (let attempt = 0; !result; attempt++) {
      before = this.reread(path);
      if (before === undefined) throw failure(`${this.context.display(path)} is missing`, 'run `agentstate doctor --repair`, which restores it from git');
      try {
        result = appendDurably(path, data, isAppendComplete(isComplete));
      } catch (error) {
        // Unlinked by a git command of the user's between our read and our open: read it again.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 5) continue;
        this.guarded(path, () => {
          throw error;
        });
      }
    }
    const original = before!;
    // A git command of the user's may have rewritten the file since it was found equal to HEAD's.
    if (!this.matchedHead.get(path)?.bytes.equals(original)) this.matchedHead.delete(path);
    this.undo.push(() => writeFileAtomic(path, original));
    if (result.torn) {
      this.context.warn(
        `${this.context.display(path)}: removed an incomplete last record (${result.torn.bytes.length} bytes, kept in ${this.context.display(result.tornSavedTo ?? '')})`,
      );
    }
    const kept = result.torn ? original.subarray(0, result.torn.offset) : original;
    const joint = kept.length > 0 && kept[kept.length - 1] !== 0x0a ? '\n' : '';
    this.contents.set(path, Buffer.concat([kept, Buffer.from(joint + data)]));
    if (record) this.records.push(record);
  }

  /** Atomic replace of a whole file. */
  replace(path: string, content: string | Buffer, record?: JournalRecord): void {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    this.beforeWrite(path, bytes.length);
    const before = this.read(path);
    this.undo.push(() => (before === undefined ? rmSync(path, { force: true }) : writeFileAtomic(path, before)));
    this.guarded(path, () => writeFileAtomic(path, bytes));
    this.contents.set(path, bytes);
    if (record) this.records.push(record);
  }

  /** A path changed outside this transaction (found by `agentstate commit`, or healed) to record too. */
  include(path: string): void {
    this.changed.add(path);
  }

  /** Take a file out of git (the file stays on disk): only what never belonged there, a tracked .agentstate/.locks/. */
  untrack(path: string): void {
    this.untracked.add(path);
  }

  /** Something the AGENTS.md block shows has changed: regenerate it in the same commit. */
  touchBoot(): void {
    this.bootAffected = true;
  }

  describe(summary: string, recordId?: string): void {
    this.summary = summary;
    if (recordId) this.recordId = recordId;
  }

  /** Put every file back as it was before this transaction (newest write first). */
  rollback(): void {
    for (const step of this.undo.splice(0).reverse()) {
      try {
        step();
      } catch {
        /* keep undoing the rest */
      }
    }
    this.contents.clear();
    this.records.length = 0;
    this.changed.clear();
  }

  private beforeWrite(path: string, bytes: number): void {
    if (this.changed.size === 0) faultPoint('before-write');
    this.hooks.fence?.();
    refuseSymlinkedDirs(this.context.root, path);
    if (!this.roomChecked) {
      this.roomChecked = true;
      const free = freeBytes(dirname(path));
      if (free !== undefined && free < bytes + 1024 * 1024) {
        throw failure(`no space left for ${this.context.display(path)} (${free} bytes free)`, 'nothing was written; free some disk space and retry');
      }
    }
    if (!this.changed.has(path)) this.hooks.intend?.(path);
    this.changed.add(path);
  }

  /** A file-system error while writing becomes one line naming the file (the caller rolls back). */
  private guarded<T>(path: string, write: () => T): T {
    try {
      return write();
    } catch (error) {
      if (error instanceof AgentstateError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (!code) throw error;
      if (process.env.AGENTSTATE_DEBUG === '1') process.stderr.write(`${(error as Error).stack}\n`);
      throw failure(`cannot write ${this.context.display(path)}: ${errnoText(code, (error as Error).message)}`, 'nothing was written; fix the permissions or the disk, then retry');
    }
  }
}

/** A log's tail line without its newline counts as complete only if it is a whole record. */
const isAppendComplete = (isComplete: (tail: string) => boolean) => (tail: string) => isComplete(tail.replace(/\r$/, ''));

function freeBytes(dir: string): number | undefined {
  try {
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

export function errnoText(code: string, message: string): string {
  const known: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    ENOENT: 'no such file or folder',
    EISDIR: 'is a folder',
    ENOTDIR: 'a part of the path is not a folder',
    EIO: 'input/output error',
  };
  return `${known[code] ?? message} (${code})`;
}

/** Paths (relative to the repo) whose commit is still to be made: a write-ahead note for the commit itself. */
export function readPending(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

export function writePending(path: string, paths: Iterable<string>): void {
  const sorted = [...new Set(paths)].sort();
  if (sorted.length === 0) rmSync(path, { force: true });
  else writeFileSync(path, sorted.join('\n') + '\n');
}
