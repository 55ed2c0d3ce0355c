import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { commitPaths, deferReason, type CommitOutcome } from '../git/commit.js';
import { appendDurably, writeFileAtomic } from './durable.js';
import { faultPoint } from './fault.js';
import { LOCAL_FILES, localPath } from './local.js';
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
    context.warn(
      context.repo
        ? `nothing was committed (${outcome.reason}); the change is on disk, and \`agentstate commit\` or the next command records it`
        : 'not versioned: this directory is not inside a git repository; the change is written to disk only',
    );
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

export const pendingFile = (context: StateContext) => localPath(context, LOCAL_FILES.deferred);

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
