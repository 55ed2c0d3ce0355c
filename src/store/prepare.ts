import { existsSync, lstatSync } from 'node:fs';
import { hasHead, readTreeFiles } from '../git/blobs.js';
import { excludedBySparseCheckout } from '../git/repo.js';
import { secretIn } from '../core/guards.js';
import { sparseCheckoutError, usageError } from '../errors.js';
import { ARCHIVE_DIR, BLOBS_DIR, FILES, LOCKS_DIR } from './layout.js';
import type { StateContext } from './context.js';
import type { Transaction } from './transaction.js';

/**
 * The agent name and the session go into records, runtime.json's `updated_by` and every commit's
 * trailers, whatever the command: a token there is refused like any field (SPEC 4.10), before a
 * byte is written. The value itself is never named.
 */
export function refuseSecretIdentity(context: StateContext): void {
  if (context.options.allowSecret) return;
  const sources: Array<[string, string | undefined]> = [
    ['the agent name (--agent, AGENTSTATE_AGENT or git user.name)', context.agent()],
    ['AGENTSTATE_SESSION', context.session()],
  ];
  for (const [what, value] of sources) {
    const rule = value ? secretIn(value) : undefined;
    if (rule) throw usageError(`refused: ${what} looks like a secret (${rule}); git history is forever`, 'nothing was written; give a name that is not a secret');
  }
}

/**
 * Before a command writes: the state folder must be a real folder inside the repository, and a
 * state file that went missing (deleted by hand, a checkout) is brought back from HEAD — never
 * "repaired" by committing its removal. In a sparse checkout that leaves `.agentstate/` out, a
 * write would commit the removal of every record: say so and stop, writing nothing.
 */
export function refuseSymlinkedStateDir(context: StateContext): void {
  for (const dir of [context.stateDir, context.path(ARCHIVE_DIR), context.path(BLOBS_DIR), context.path(LOCKS_DIR)]) {
    try {
      if (!lstatSync(dir).isSymbolicLink()) continue;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    throw usageError(`${context.display(dir)} is a symbolic link; agentstate only writes inside the repository`, 'nothing was written; replace the link by the folder itself');
  }
}

/** The state files git has in HEAD that the work tree lacks, restored from HEAD. Returns their names. */
export function restoreMissing(tx: Transaction): string[] {
  const { context } = tx;
  const repo = context.repo;
  const names = Object.values(FILES);
  const missing = names.filter((name) => !existsSync(context.path(name)));
  if (missing.length === 0 || !repo || !hasHead(repo.root)) return [];
  const paths = missing.map((name) => context.display(context.path(name)));
  if (excludedBySparseCheckout(repo.root, paths)) throw sparseCheckoutError(context.display(context.stateDir));
  const committed = readTreeFiles(repo.root, 'HEAD', paths);
  const restored: string[] = [];
  for (const [i, name] of missing.entries()) {
    const bytes = committed.get(paths[i]!);
    if (bytes === undefined) continue;
    tx.replace(context.path(name), bytes);
    restored.push(name);
  }
  if (restored.length) context.warn(`restored ${restored.join(', ')} from HEAD (missing from the work tree; records journaled since are put back too)`);
  return restored;
}


