import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AgentstateError } from '../errors.js';
import { commitPaths, deferReason, type CommitOutcome } from '../git/commit.js';
import { appendDurably, writeFileAtomic } from './durable.js';
import { faultPoint } from './fault.js';
import { DEFERRED_FILE, LOCK_FILE, LOCKS_DIR } from './layout.js';
import { withLock } from './lock.js';
import type { StateContext } from './context.js';

/** The changes one command makes, all under the state lock, recorded as one commit. */
export class Transaction {
  readonly changed = new Set<string>();
  bootAffected = false;
  /** A log was sealed: the commit may run git's auto maintenance (rarely, so it costs little). */
  sealed = false;
  summary = '';
  recordId?: string;

  constructor(readonly context: StateContext) {}

  append(path: string, data: string, isComplete: (tail: string) => boolean): void {
    this.intend(path);
    const result = appendDurably(path, data, isComplete);
    if (result.torn) {
      this.context.warn(
        `${this.context.display(path)}: removed an incomplete last record (${result.torn.bytes.length} bytes, kept in ${this.context.display(result.tornSavedTo ?? '')})`,
      );
    }
  }

  replace(path: string, content: string | Buffer): void {
    this.intend(path);
    writeFileAtomic(path, content);
  }

  /** A path changed outside this transaction (found by `agentstate commit`) to record too. */
  include(path: string): void {
    this.changed.add(path);
  }

  /**
   * Write-ahead for the commit itself: note the path as pending before touching it, so that a
   * process killed between the write and the commit leaves a note that the next command (or
   * `agentstate commit`) reads and records.
   */
  private intend(path: string): void {
    if (this.changed.has(path)) return;
    this.changed.add(path);
    addPending(this.context, [this.context.display(path)]);
  }

  /** Something the AGENTS.md block shows has changed: regenerate it in the same commit. */
  touchBoot(): void {
    this.bootAffected = true;
  }

  describe(summary: string, recordId?: string): void {
    this.summary = summary;
    if (recordId) this.recordId = recordId;
  }
}

export interface Recorded<T> {
  result: T;
  commit: CommitOutcome;
}

/**
 * Run `fn` under the repo-level state lock and record what it changed as one commit, holding the
 * lock from the first write through the commit so that no other writer's record lands in it.
 */
export async function mutate<T>(context: StateContext, command: string, fn: (tx: Transaction) => Promise<T> | T): Promise<Recorded<T>> {
  mkdirSync(context.lockDir, { recursive: true });
  const options = { timeoutMs: context.config.lock.timeout_ms, staleMs: context.config.lock.stale_ms, command: `agentstate ${command}` };
  return withLock(context.path(LOCKS_DIR, LOCK_FILE), options, async () => {
    faultPoint('after-lock');
    const tx = new Transaction(context);
    const result = await fn(tx);
    if (tx.bootAffected) await refreshBootSafely(tx);
    const commit = record(context, command, tx);
    return { result, commit };
  });
}

/** The record the command came for is written; a damaged file elsewhere must not undo that. */
async function refreshBootSafely(tx: Transaction): Promise<void> {
  const { refreshBoot } = await import('./boot-file.js');
  try {
    await refreshBoot(tx);
  } catch (error) {
    if (!(error instanceof AgentstateError)) throw error;
    tx.context.warn(`AGENTS.md was not regenerated: ${error.message}`);
  }
}

/** Commit what the transaction changed plus anything pending from earlier. Caller holds the lock. */
export function record(context: StateContext, command: string, tx: Transaction): CommitOutcome {
  const pendingPath = pendingFile(context);
  const paths = new Set([...readPending(pendingPath), ...[...tx.changed].map((path) => context.display(path))]);
  if (paths.size === 0) return { status: 'unchanged' };
  if (!context.commitEnabled) {
    // --no-commit leaves the paths pending for the next command; git.commit: false records nothing, ever.
    if (context.options.commit !== false) rmSync(pendingPath, { force: true });
    return { status: 'off' };
  }
  const reason = deferReason(context.repo);
  faultPoint('before-commit');
  const outcome: CommitOutcome =
    reason || !context.repo
      ? { status: 'deferred', reason: reason ?? 'not inside a git repository' }
      : commitPaths(context.repo, { paths: [...paths].sort(), message: commitMessage(context, command, tx), maintenance: tx.sealed });
  if (outcome.status === 'deferred') {
    context.warn(`nothing was committed (${outcome.reason}); the change is on disk, and \`agentstate commit\` or the next command records it`);
  } else {
    faultPoint('after-commit');
    rmSync(pendingPath, { force: true });
  }
  return outcome;
}

function commitMessage(context: StateContext, command: string, tx: Transaction): string {
  const summary = tx.summary.replace(/\s+/g, ' ').trim();
  const short = summary.length > 72 ? `${summary.slice(0, 71)}…` : summary;
  const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
  const trailers = [
    tx.recordId ? `Agentstate-Id: ${tx.recordId}` : '',
    `Agentstate-Agent: ${oneLine(context.agent())}`,
    context.session() ? `Agentstate-Session: ${oneLine(context.session() ?? '')}` : '',
  ].filter(Boolean);
  return `agentstate: ${command}${short ? ` ${short}` : ''}\n\n${trailers.join('\n')}\n`;
}

const pendingFile = (context: StateContext) => context.path(LOCKS_DIR, DEFERRED_FILE);

export function readPending(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Paths (relative to the repo) whose commit is still to be made. A hint, so no fsync. */
function addPending(context: StateContext, paths: string[]): void {
  const path = pendingFile(context);
  const before = readPending(path);
  const after = [...new Set([...before, ...paths])].sort();
  if (after.length !== before.length) writeFileSync(path, after.join('\n') + '\n');
}
