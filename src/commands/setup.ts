import type { CommandRun } from '../command.js';
import { usageError } from '../errors.js';
import { applyPlan, bootBlockMissing, planSetup, type SetupTarget } from '../store/agent-setup.js';
import { openContext } from '../store/context.js';
import { mutate } from '../store/mutate.js';
import { commitNote } from './shared.js';

export interface SetupOptions {
  mcp?: boolean;
  hooks?: boolean;
}

const NAMES: Record<SetupTarget, string> = { claude: 'Claude Code', codex: 'Codex', gemini: 'Gemini CLI', cursor: 'Cursor' };

/**
 * `agentstate setup claude|codex|gemini|cursor`: make an agent tool boot from the state.
 * Idempotent; all files or none; every other setting and the files' formatting are kept.
 */
export const run: CommandRun<SetupOptions> = async ({ args, options, globals }) => {
  const [target] = args as [string];
  if (!(target in NAMES)) throw usageError(`setup: unknown target "${target}"`, 'choose one: agentstate setup claude|codex|gemini|cursor');
  const agent = target as SetupTarget;
  if (agent === 'codex' && options.mcp) {
    throw usageError('setup codex: --mcp: Codex keeps MCP servers in ~/.codex/config.toml', 'run `codex mcp add agentstate -- agentstate mcp`');
  }
  const context = await openContext(globals);
  const { result, commit } = await mutate(context, `setup ${agent}`, (tx) => {
    const plan = planSetup(context, agent, options);
    tx.describe(plan.changes.map((change) => change.path).join(', '));
    applyPlan(tx, plan);
    if (bootBlockMissing(context)) tx.touchBoot();
    return { changed: plan.changes.map((change) => change.path), notes: plan.notes, boot: tx.bootAffected, agentsMdOnly: plan.agentsMdOnly === true };
  });
  const changed = [...result.changed, ...(result.boot ? ['AGENTS.md'] : [])];
  const headline =
    result.agentsMdOnly
      ? 'Codex reads AGENTS.md natively: that is enough.'
      : changed.length
        ? `${NAMES[agent]} now boots from agentstate: ${changed.join(', ')} updated${commitNote(commit)}`
        : `${NAMES[agent]} is already set up; nothing changed`;
  return {
    data: { agent, changed, notes: result.notes, commit, warnings: context.warnings },
    warnings: context.warnings,
    quiet: changed.join('\n'),
    human: () => [headline, ...result.notes.map((note) => `  ${note}`)].join('\n'),
  };
};
