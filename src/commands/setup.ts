import type { CommandRun } from '../command.js';
import { RESUME_HOOK } from '../core/claude-settings.js';
import { usageError } from '../errors.js';
import { setupClaude } from '../store/claude-files.js';
import { openContext } from '../store/context.js';
import { mutate } from '../store/mutate.js';
import { commitNote } from './shared.js';

/** `agentstate setup claude`: make Claude Code boot from the state. Idempotent. */
export const run: CommandRun = async ({ args, globals }) => {
  const [target] = args;
  if (target !== 'claude') throw usageError(`setup: unknown target "${target}"`, 'the only target so far is: agentstate setup claude');
  const context = await openContext(globals);
  const { result: changed, commit } = await mutate(context, 'setup claude', (tx) => {
    tx.describe('CLAUDE.md imports AGENTS.md; SessionStart runs resume');
    return setupClaude(tx);
  });
  return {
    data: { changed, hook: RESUME_HOOK, commit, warnings: context.warnings },
    warnings: context.warnings,
    human: () =>
      changed.length
        ? `Claude Code now boots from agentstate: ${changed.join(', ')} updated${commitNote(commit)}`
        : 'Claude Code is already set up; nothing changed',
  };
};
