import { realpathSync } from 'node:fs';
import type { CommandRun } from '../command.js';
import { failure, usageError } from '../errors.js';
import { installPreCommit } from '../git/hooks.js';
import { registerDrivers } from '../git/merge-setup.js';
import { binPath } from '../package-root.js';
import { upgradeAttributes } from '../store/attributes.js';
import { openContext } from '../store/context.js';

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** `agentstate hooks install`: the pre-commit check, and the merge drivers in this clone's git config. */
export const run: CommandRun = async ({ args, globals }) => {
  if (args[0] !== 'install') throw usageError(`hooks: unknown action "${args[0]}"`, 'use: agentstate hooks install');
  const context = await openContext(globals, { requireInit: false });
  const repo = context.repo;
  if (!repo) throw failure('not inside a git repository', 'hooks live in a git repository; run this in its work tree');
  const command = `${shellQuote(process.execPath)} ${shellQuote(realpathSync(binPath()))}`;
  let hook;
  try {
    hook = installPreCommit(repo, command);
  } catch (error) {
    throw failure((error as Error).message);
  }
  const drivers = registerDrivers(repo);
  const attributes = await upgradeAttributes(context);
  return {
    data: { hook, drivers_registered: drivers, ...(attributes ? { attributes_updated: attributes } : {}) },
    human: () =>
      [
        hook.status === 'unchanged' ? `pre-commit hook already installed (${hook.path})` : `pre-commit hook installed: ${hook.path}`,
        ...(hook.chained ? [`your existing hook still runs first: ${hook.chained}`] : []),
        drivers.length ? `merge drivers registered: ${drivers.join(', ')}` : 'merge drivers already registered',
        ...(attributes ? [`merge attributes brought up to date in ${attributes}`] : []),
      ].join('\n'),
  };
};
