import type { CommandRun } from '../command.js';
import { registerDrivers } from '../git/merge-setup.js';
import { openContext } from '../store/context.js';
import { createMissing } from '../store/init-state.js';
import { mutate } from '../store/mutate.js';
import { commitNote } from './shared.js';

/** `agentstate init`: create or repair the state directory, boot file and git attributes; one commit. */
export const run: CommandRun = async ({ globals }) => {
  const context = await openContext(globals, { requireInit: false });
  const wasInitialised = context.initialised;
  const { result: created, commit } = await mutate(context, 'init', (tx) => {
    const files = createMissing(tx);
    tx.describe(wasInitialised ? 'repair state directory' : 'create state directory');
    return files;
  });
  const drivers = context.repo ? registerDrivers(context.repo) : [];
  const changed = created.length > 0 || commit.status === 'committed';
  return {
    data: { root: context.root, created, drivers_registered: drivers, changed, commit, warnings: context.warnings },
    warnings: context.warnings,
    human: (style) => {
      if (!changed && drivers.length === 0) return `agentstate is already initialised in ${context.root}; nothing changed`;
      const lines = [`${wasInitialised ? 'Repaired' : 'Initialised'} agentstate in ${context.root}${commitNote(commit)}`];
      for (const file of created) lines.push(`  ${style.green('+')} ${file}`);
      if (drivers.length) lines.push(`  registered merge drivers in .git/config: ${drivers.join(', ')}`);
      if (!wasInitialised) lines.push('Next: `agentstate decide "<what>" --why "<why>"` before you act, `agentstate resume` to boot.');
      return lines.join('\n');
    },
  };
};
