import type { CommitOutcome } from '../git/commit.js';
import { AgentstateError } from '../errors.js';
import type { StateContext } from './context.js';

/** AGENTSTATE_SYNC=1 (or 0), else config sync.after_write: sync after every write command's commit. */
export function wantsSyncAfterWrite(context: StateContext, env: NodeJS.ProcessEnv = process.env): boolean {
  const override = env.AGENTSTATE_SYNC;
  if (override !== undefined && override !== '') return override === '1' || override.toLowerCase() === 'true';
  return context.config.sync.after_write === true;
}

/**
 * The step after a write's commit, for agents that want every write shared at once. The write is
 * done whatever happens here: a failed sync is a warning (and the next sync sends it), never the
 * write's failure. Loaded only when asked for.
 */
export async function syncAfterWrite(context: StateContext, command: string, commit: CommitOutcome): Promise<void> {
  if (command === 'sync' || commit.status !== 'committed' || !wantsSyncAfterWrite(context)) return;
  try {
    const { syncState } = await import('./sync.js');
    await syncState(context, { recordDeferred: false });
    const { untoldLossesNow } = await import('./lease.js');
    for (const loss of await untoldLossesNow(context)) context.warn(loss.message); // the next sync or heartbeat exits 4 for it
  } catch (error) {
    if (!(error instanceof AgentstateError)) throw error;
    context.warn(`written and committed, but not synced: ${error.message} (\`agentstate sync\` sends it later)`);
  }
}
