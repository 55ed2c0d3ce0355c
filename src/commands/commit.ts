import { join } from 'node:path';
import type { CommandRun } from '../command.js';
import { openContext } from '../store/context.js';
import { uncommittedStatePaths } from '../store/state-files.js';
import { mutate } from '../store/mutate.js';
import { commitNote } from './shared.js';

/** `agentstate commit`: record deferred state changes (or any uncommitted state file) as one commit. */
export const run: CommandRun = async ({ globals }) => {
  const context = await openContext(globals);
  const { result: paths, commit } = await mutate(context, 'commit', (tx) => {
    tx.recordPending = true;
    for (const path of uncommittedStatePaths(context)) tx.include(join(context.repo!.root, path));
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
          : `not recorded (${commit.reason ?? 'git recording is off'})`,
  };
};
