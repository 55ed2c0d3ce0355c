import type { CommandRun } from '../command.js';
import { render } from '../core/briefing.js';
import { sessionStartOutput } from '../core/hook-output.js';
import { usageError } from '../errors.js';
import { bootStatus } from '../store/boot-file.js';
import { openContext } from '../store/context.js';
import { untoldLossesNow } from '../store/lease.js';
import { buildSnapshot } from '../store/snapshot.js';
import { stateCommitsSince, verifyState } from '../store/warnings.js';
import { parseCount } from './shared.js';

export interface ResumeOptions {
  format?: string;
  budget?: string;
  focus?: string;
  full?: boolean;
  check?: boolean;
}

/**
 * `agentstate resume`: the boot briefing for a new session (SPEC section 6). With --check it
 * exits 1 when a pipeline should not go on: open decisions, stale state, a stale lock.
 */
export const run: CommandRun<ResumeOptions> = async ({ options, globals }) => {
  const format = options.format ?? (globals.json ? 'json' : 'md');
  if (format !== 'md' && format !== 'json' && format !== 'hook') throw usageError(`--format: "${format}" is not md, json or hook`);
  const budget = parseCount(options.budget, '--budget');
  if (budget !== undefined && budget < 1) throw usageError('--budget: must be at least 1 token');
  const context = await openContext(globals);
  const full = await buildSnapshot(context, { mode: 'resume', full: options.full === true });
  const snapshot = options.focus ? await buildSnapshot(context, { mode: 'resume', full: options.full === true, focus: options.focus }) : full;
  const boot = await bootStatus(context, full);
  const losses = (await untoldLossesNow(context)).map((loss) => loss.message); // a claim this agent lost comes first
  snapshot.warnings = [...losses, ...verifyState(context, full, boot.fresh ? undefined : boot.reason)];
  if (full.handoff) {
    const since = stateCommitsSince(context, full.handoff.at);
    if (since !== undefined) snapshot.commitsSinceHandoff = since;
  }
  const rendered = render(snapshot, { mode: 'resume', ...(budget !== undefined && !options.full ? { budgetTokens: budget } : {}) });
  const gate = options.check ? gateProblems(snapshot.openDecisions.length, snapshot.warnings) : [];
  const exitCode = options.check && gate.length > 0 ? 1 : 0;
  const data = { ...snapshot, cut: rendered.cut, ...(options.check ? { check: { ok: exitCode === 0, problems: gate } } : {}) };
  return {
    data,
    exitCode,
    warnings: options.check ? gate.map((problem) => `resume --check: ${problem}`) : [],
    human: () => (format === 'json' ? JSON.stringify(data, null, 2) : format === 'hook' ? sessionStartOutput(rendered.text) : rendered.text),
    quiet: options.check ? '' : rendered.text,
  };
};

function gateProblems(openDecisions: number, warnings: string[]): string[] {
  return [...(openDecisions ? [`${openDecisions} open decision(s) without an outcome`] : []), ...warnings];
}
