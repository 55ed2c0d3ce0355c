import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { commitPaths, deferReason, type CommitOutcome } from '../git/commit.js';
import { appendDurably, writeFileAtomic } from './durable.js';
import { DEFERRED_FILE, LOCK_FILE } from './layout.js';
import { withLock } from './lock.js';
import type { StateContext } from './context.js';

/** The changes one command makes, all under the state lock, recorded as one commit. */
export class Transaction {
  readonly changed = new Set<string>();
  bootAffected = false;
  summary = '';
  recordId?: string;

  constructor(readonly context: StateContext) {}

  append(path: string, data: string, isComplete: (tail: string) => boolean): void {
    const result = appendDurably(path, data, isComplete);
    if (result.torn) {
      this.context.warn(
        `${this.context.display(path)}: removed an incomplete last record (${result.torn.bytes.length} bytes, kept in ${this.context.display(result.tornSavedTo ?? '')})`,
      );
    }
    this.changed.add(path);
  }

  replace(path: string, content: string | Buffer): void {
    writeFileAtomic(path, content);
    this.changed.add(path);
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
  return withLock(context.path('.locks', LOCK_FILE), options, async () => {
    const tx = new Transaction(context);
    const result = await fn(tx);
    if (tx.bootAffected) {
      const { refreshBoot } = await import('./boot-file.js');
      await refreshBoot(tx);
    }
    const commit = record(context, command, tx);
    return { result, commit };
  });
}

/** Commit what the transaction changed plus anything deferred earlier. Caller holds the lock. */
export function record(context: StateContext, command: string, tx: Transaction): CommitOutcome {
  const pendingPath = context.path('.locks', DEFERRED_FILE);
  const pending = readPending(pendingPath);
  const paths = new Set([...pending, ...[...tx.changed].map((path) => context.display(path))]);
  if (paths.size === 0) return { status: 'unchanged' };
  if (!context.commitEnabled) {
    if (context.options.commit === false) writePending(pendingPath, paths);
    return { status: 'off' };
  }
  const reason = deferReason(context.repo);
  const outcome: CommitOutcome =
    reason || !context.repo
      ? { status: 'deferred', reason: reason ?? 'not inside a git repository' }
      : commitPaths(context.repo, { paths: [...paths].sort(), message: commitMessage(context, command, tx) });
  if (outcome.status === 'deferred') {
    writePending(pendingPath, paths);
    context.warn(`nothing was committed (${outcome.reason}); the change is on disk, and \`agentstate commit\` or the next command records it`);
  } else if (pending.length > 0) {
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

function readPending(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

function writePending(path: string, paths: Set<string>): void {
  writeFileAtomic(path, [...new Set([...readPending(path), ...paths])].sort().join('\n') + '\n');
}
