import { AgentstateError } from '../errors.js';
import type { CommitOutcome } from '../git/commit.js';
import { refreshBoot } from './boot-file.js';
import { recordDerivedStamp, refreshDerivedIfStale } from './derived.js';
import { faultPoint } from './fault.js';
import { ensureLocalDir, LOCAL_FILES, localPath } from './local.js';
import { withLock } from './lock.js';
import { record, Transaction } from './transaction.js';
import type { StateContext } from './context.js';

export interface Recorded<T> {
  result: T;
  commit: CommitOutcome;
}

/**
 * The write pipeline: run `fn` under the state lock, regenerate the AGENTS.md block when `fn`
 * changed something it shows, and record everything as one commit, holding the lock from the
 * first write through the commit so that no other writer's record lands in it.
 */
export async function mutate<T>(context: StateContext, command: string, fn: (tx: Transaction) => Promise<T> | T): Promise<Recorded<T>> {
  ensureLocalDir(context);
  const options = { timeoutMs: context.config.lock.timeout_ms, staleMs: context.config.lock.stale_ms, command: `agentstate ${command}` };
  return withLock(localPath(context, LOCAL_FILES.lock), options, async () => {
    faultPoint('after-lock');
    const tx = new Transaction(context);
    await refreshDerivedIfStale(tx); // derived files a git merge or rebase left stale (store/derived.ts)
    const result = await fn(tx);
    if (tx.bootAffected) await refreshBootSafely(tx);
    const commit = record(context, command, tx);
    recordDerivedStamp(context);
    return { result, commit };
  });
}

/** The record the command came for is written; a damaged file elsewhere must not undo that. */
async function refreshBootSafely(tx: Transaction): Promise<void> {
  try {
    await refreshBoot(tx);
  } catch (error) {
    if (!(error instanceof AgentstateError)) throw error;
    tx.context.warn(`AGENTS.md was not regenerated: ${error.message}`);
  }
}
