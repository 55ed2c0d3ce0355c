import type { CommandRun } from '../command.js';
import { AGENTSTATE_STEPS, stateFilesPattern } from '../core/hook-config.js';
import { failure, usageError } from '../errors.js';
import { detectManager, installWithManager } from '../git/hook-managers.js';
import type { HookResult } from '../git/hooks.js';
import { registerDrivers } from '../git/merge-setup.js';
import { openContext } from '../store/context.js';
import { BOOT_FILE } from '../store/layout.js';

const MANAGER_NAMES = { git: 'git hooks', 'hooks-path': 'core.hooksPath', husky: 'husky', lefthook: 'lefthook', 'pre-commit': 'the pre-commit framework' };

/**
 * `agentstate hooks install`: the pre-commit check and the post-merge/post-rewrite regeneration,
 * added the way this clone's hook manager expects, and the merge drivers in this clone's git
 * config. Where our step cannot be added safely, it changes nothing there, prints the line to
 * add, and still exits 0.
 */
export const run: CommandRun = async ({ args, globals }) => {
  if (args[0] !== 'install') throw usageError(`hooks: unknown action "${args[0]}"`, 'use: agentstate hooks install');
  const context = await openContext(globals, { requireInit: false });
  const repo = context.repo;
  if (!repo) throw failure('not inside a git repository', 'hooks live in a git repository; run this in its work tree');
  const manager = detectManager(repo);
  const pattern = stateFilesPattern(context.display(context.stateDir), context.display(context.path('..', BOOT_FILE)));
  const install = await installWithManager(repo, manager, AGENTSTATE_STEPS, pattern);
  const drivers = registerDrivers(repo);
  const manual = install.hooks.filter((hook) => hook.status === 'manual');
  return {
    data: { manager: install.manager, hooks: install.hooks, ...(install.ran ? { ran: install.ran } : {}), ...(install.todo ? { todo: install.todo } : {}), drivers_registered: drivers },
    human: () =>
      [
        `hook manager: ${MANAGER_NAMES[install.manager]}`,
        ...install.hooks.map((hook) => `${hook.hook}: ${describe(context.display(hook.path), hook)}`),
        ...(install.ran ? [`ran \`${install.ran}\``] : []),
        ...(install.todo ? [`to do: ${install.todo}`] : []),
        ...(manual.length ? ['', 'Add this line yourself where the hook runs (nothing was changed there):', ...[...new Set(manual.map((hook) => hook.snippet))].map((line) => `  ${line}`)] : []),
        drivers.length ? `merge drivers registered: ${drivers.join(', ')}` : 'merge drivers already registered',
      ].join('\n'),
  };
};

function describe(path: string, hook: HookResult): string {
  switch (hook.status) {
    case 'installed':
      return `installed ${path}${hook.chained ? ` (your hook still runs first: ${hook.chained})` : ''}`;
    case 'updated':
      return `updated ${path}`;
    case 'added':
      return `added our step to ${path}`;
    case 'unchanged':
      return `already installed (${path})`;
    case 'manual':
      return `not changed: ${hook.reason}`;
  }
}
