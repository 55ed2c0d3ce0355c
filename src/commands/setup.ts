import type { CommandRun } from '../command.js';
import { usageError } from '../errors.js';
import type { CommitOutcome } from '../git/commit.js';
import { bootBlockMissing, planSetup, writePlan, type SetupTarget } from '../store/agent-setup.js';
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
 * Idempotent; all files or none; every other setting and the files' formatting are kept. The
 * agent's files are the user's: written, not committed. Only a missing AGENTS.md block (ours) is
 * regenerated and committed.
 */
export const run: CommandRun<SetupOptions> = async ({ args, options, globals }) => {
  const [target] = args as [string];
  if (!(target in NAMES)) throw usageError(`setup: unknown target "${target}"`, 'choose one: agentstate setup claude|codex|gemini|cursor');
  const agent = target as SetupTarget;
  if (agent === 'codex' && options.mcp) {
    throw usageError('setup codex: --mcp: Codex keeps MCP servers in ~/.codex/config.toml', 'run `codex mcp add agentstate -- agentstate mcp`');
  }
  const context = await openContext(globals);
  const plan = planSetup(context, agent, options);
  let boot: CommitOutcome | undefined;
  if (bootBlockMissing(context)) {
    ({ commit: boot } = await mutate(context, `setup ${agent}`, (tx) => {
      tx.describe('regenerate the AGENTS.md block the agent tools read');
      tx.touchBoot();
    }));
  }
  writePlan(context.root, plan);
  const written = plan.changes.map((change) => change.path);
  const lines = [
    plan.agentsMdOnly
      ? 'Codex reads AGENTS.md natively: that is enough.'
      : written.length
        ? `${NAMES[agent]} now boots from agentstate: wrote ${written.join(', ')}`
        : `${NAMES[agent]} is already set up; nothing changed`,
    ...(boot ? [`  AGENTS.md: the agentstate block was missing; regenerated${commitNote(boot)}`] : []),
    ...(written.length ? [`  these are your files: review them, then \`git add ${written.join(' ')}\` and commit`] : []),
    ...plan.notes.map((note) => `  ${note}`),
  ];
  return {
    data: { agent, written, notes: plan.notes, boot: boot ?? null, warnings: context.warnings },
    warnings: context.warnings,
    quiet: written.join('\n'),
    human: () => lines.join('\n'),
  };
};
