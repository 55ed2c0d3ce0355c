import { join } from 'node:path';
import type { CommandRun } from '../command.js';
import { SCHEMA_VERSION } from '../core/schemas.js';
import { openContext } from '../store/context.js';
import { uncommittedStatePaths } from '../store/state-files.js';
import { migrateFiles } from '../store/migrate.js';
import { mutate } from '../store/mutate.js';
import { refuseAnySkew } from '../store/skew.js';

/**
 * `agentstate migrate`: upgrade state files to the current schema, after a commit of the old
 * state, so that a migration can be rolled back with git.
 */
export const run: CommandRun = async ({ globals }) => {
  const context = await openContext(globals);
  refuseAnySkew(context);
  const before = await mutate(context, 'migrate', (tx) => {
    for (const path of uncommittedStatePaths(context)) tx.include(join(context.repo!.root, path));
    tx.describe('record the old state before migrating');
  });
  const { result: migrated, commit } = await mutate(context, 'migrate', async (tx) => {
    const files = await migrateFiles(tx);
    if (files.length) tx.touchBoot();
    tx.describe(`to schema ${SCHEMA_VERSION}: ${files.join(', ')}`);
    return files;
  });
  return {
    data: { migrated, schema: SCHEMA_VERSION, old_state_commit: before.commit, commit, warnings: context.warnings },
    warnings: context.warnings,
    human: () =>
      migrated.length
        ? `migrated to schema ${SCHEMA_VERSION}: ${migrated.join(', ')}${commit.status === 'committed' ? ` (commit ${commit.sha.slice(0, 7)}; undo with git revert)` : ''}`
        : `every state file is at schema ${SCHEMA_VERSION}; nothing to migrate`,
  };
};
