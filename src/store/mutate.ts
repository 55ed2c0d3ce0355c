import { AgentstateError } from '../errors.js';
import type { CommitOutcome } from '../git/commit.js';
import { refreshBoot } from './boot-file.js';
import { recordDerivedStamp, refreshDerivedIfStale } from './derived.js';
import { notePending, pendingFile, recordChanges } from './commit-step.js';
import { faultPoint } from '../fault.js';
import { healFromHead, healFromJournal } from './heal.js';
import { journalRecords } from './journal.js';
import { ensureLocalDir, LOCAL_FILES, localPath } from './local.js';
import { withLock } from './lock.js';
import { refuseSecretIdentity, refuseSymlinkedStateDir, restoreMissing } from './prepare.js';
import { refuseNewerSchema } from './skew.js';
import { renewLeases } from './lease.js';
import { readPending, Transaction, writePending } from './transaction.js';
import { syncAfterWrite } from './sync-after-write.js';
import type { StateContext } from './context.js';

export interface Recorded<T> {
  result: T;
  commit: CommitOutcome;
}

/**
 * The write pipeline, under the state lock from the first write through the commit (so no other
 * writer's record lands in this commit):
 *   prepare — bring back state files and journaled records the work tree lost;
 *   `fn`    — the command's writes (fenced, guarded, undoable);
 *   the AGENTS.md block, when `fn` changed something it shows;
 *   journal — the new records, fsynced, before anything is acknowledged;
 *   commit  — in the commit mode in force;
 *   sync    — after the lock is released, only with AGENTSTATE_SYNC=1 or sync.after_write.
 * Any failure before the commit rolls every write back: the files are as they were.
 */
export async function mutate<T>(context: StateContext, command: string, fn: (tx: Transaction) => Promise<T> | T): Promise<Recorded<T>> {
  void context.commitMode; // a bad AGENTSTATE_COMMIT is a usage error before anything happens
  refuseSymlinkedStateDir(context);
  refuseSecretIdentity(context);
  ensureLocalDir(context);
  const options = {
    timeoutMs: context.config.lock.timeout_ms,
    staleMs: context.config.lock.stale_ms,
    command: `agentstate ${command}`,
    onWait: (holder: string) => context.notify(`waiting for the state lock, held by ${holder}`),
  };
  const recorded = await withLock(localPath(context, LOCAL_FILES.lock), options, async (lock): Promise<Recorded<T>> => {
    faultPoint('after-lock');
    const pendingBefore = readPending(pendingFile(context));
    const tx: Transaction = new Transaction(context, {
      fence: () => lock.assertHeld(),
      intend: (path) => {
        refuseNewerSchema(context, path); // an older agentstate never writes a newer file
        notePending(context, path);
      },
      beforeAppend: (path) => healFromHead(tx, path),
    });
    let result: T;
    try {
      restoreMissing(tx);
      healFromJournal(tx);
      await refreshDerivedIfStale(tx); // derived files a git merge or rebase left stale (store/derived.ts)
      result = await fn(tx);
      await renewLeases(tx); // a write of an agent renews its leases (once half of one has run out)
      if (tx.bootAffected) await refreshBootSafely(tx);
      lock.assertHeld();
      journalRecords(tx);
    } catch (error) {
      tx.rollback();
      writePending(pendingFile(context), pendingBefore);
      throw error;
    }
    const commit = recordChanges(context, command, tx);
    recordDerivedStamp(tx);
    return { result, commit };
  });
  // After the lock is released: AGENTSTATE_SYNC=1 / sync.after_write shares the commit (a failure is a warning).
  await syncAfterWrite(context, command, recorded.commit);
  return recorded;
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
