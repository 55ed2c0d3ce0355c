import type { CommandRun } from '../command.js';
import { bootStatus } from '../store/boot-file.js';
import { openContext } from '../store/context.js';
import { refreshDerived } from '../store/derived.js';
import { mutate } from '../store/mutate.js';
import { commitNote } from './shared.js';

export interface BootOptions {
  check?: boolean;
}

/** `agentstate boot`: regenerate the AGENTS.md block; `--check` exits 1 when it is stale. */
export const run: CommandRun<BootOptions> = async ({ options, globals }) => {
  const context = await openContext(globals);
  if (options.check) {
    const status = await bootStatus(context);
    return {
      data: { fresh: status.fresh, reason: status.reason ?? null },
      exitCode: status.fresh ? 0 : 1,
      human: () => (status.fresh ? 'AGENTS.md block is up to date' : `AGENTS.md block is stale: ${status.reason}; run \`agentstate boot\``),
    };
  }
  const { commit } = await mutate(context, 'boot', async (tx) => {
    await refreshDerived(tx, { create: true });
    tx.describe('regenerate the derived files');
  });
  const changed = commit.status !== 'unchanged';
  return {
    data: { changed, commit, warnings: context.warnings },
    warnings: context.warnings,
    human: () => (changed ? `derived files regenerated (AGENTS.md block, decisions-index.yaml)${commitNote(commit)}` : 'AGENTS.md block and decisions-index.yaml are up to date; nothing changed'),
  };
};
