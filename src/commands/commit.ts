import { join } from 'node:path';
import type { CommandRun } from '../command.js';
import { changedPaths } from '../git/commit.js';
import { openContext } from '../store/context.js';
import { BOOT_FILE } from '../store/layout.js';
import { mutate } from '../store/transaction.js';
import { commitNote } from './shared.js';

/** State paths that `agentstate commit` records: never set-aside corrupt copies. */
const isStatePath = (path: string) => !/\.corrupt-|\.tmp$/.test(path);

/** `agentstate commit`: record deferred state changes (or any uncommitted state file) as one commit. */
export const run: CommandRun = async ({ globals }) => {
  const context = await openContext(globals);
  const { result: paths, commit } = await mutate(context, 'commit', (tx) => {
    const { repo } = context;
    if (repo) {
      const candidates = [context.stateDir, join(context.root, BOOT_FILE), join(context.root, '.gitattributes')].map((path) => context.display(path));
      for (const path of changedPaths(repo, candidates).filter(isStatePath)) tx.changed.add(join(repo.root, path));
    }
    tx.describe('record deferred state changes');
    return [...tx.changed].map((path) => context.display(path));
  });
  return {
    data: { commit, paths, warnings: context.warnings },
    warnings: context.warnings,
    human: () =>
      commit.status === 'committed'
        ? `recorded ${paths.length ? paths.join(', ') : 'deferred changes'}${commitNote(commit)}`
        : commit.status === 'unchanged'
          ? 'nothing to record: the state files are committed'
          : `not recorded (${commit.status === 'deferred' ? commit.reason : 'git recording is off'})`,
  };
};
