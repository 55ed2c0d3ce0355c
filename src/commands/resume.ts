import type { CommandRun } from '../command.js';
import type { DecisionView } from '../core/decisions.js';
import { render } from '../core/briefing.js';
import { sessionStartOutput } from '../core/hook-output.js';
import { usageError } from '../errors.js';
import { bootPath, bootStatus } from '../store/boot-file.js';
import { attachChecks } from '../store/expectations.js';
import { deadlineOf, GuardedReader, openBriefingContext } from '../store/guarded-read.js';
import { lossesToSay } from '../store/lease.js';
import { readBriefing } from '../store/snapshot.js';
import { commitsSinceHandoff, verifyState, type Warning } from '../store/warnings.js';
import { pendingChanges } from '../store/with-code.js';
import { pendingChangeCount } from '../store/commit-step.js';
import { parseCount } from './shared.js';

export interface ResumeOptions {
  format?: string;
  budget?: string;
  focus?: string;
  full?: boolean;
  check?: boolean;
  timeout?: string;
}

/**
 * `agentstate resume`: the boot briefing for a new session (SPEC section 6). It takes no lock and
 * never waits on one; each part is read on its own, so damage costs only that part (said in the
 * briefing), and it stops at a time limit with what it has. With --check it exits 1 when a
 * pipeline should not go on: see `gateProblems`.
 */
export const run: CommandRun<ResumeOptions> = async ({ options, globals }) => {
  const format = options.format ?? (globals.json ? 'json' : 'md');
  if (format !== 'md' && format !== 'json' && format !== 'hook') throw usageError(`--format: "${format}" is not md, json or hook`);
  const budget = parseCount(options.budget, '--budget');
  if (budget !== undefined && budget < 1) throw usageError('--budget: must be at least 1 token');
  const timeout = parseCount(options.timeout, '--timeout');
  const context = await openBriefingContext(globals);
  const reader = new GuardedReader(context, deadlineOf(timeout ?? context.config.resume.timeout_ms));
  reader.noteMissingFiles();
  const { snapshot: full, tasks } = await readBriefing(context, reader, { mode: 'resume', full: options.full === true });
  const snapshot = options.focus ? (await readBriefing(context, reader, { mode: 'resume', full: options.full === true, focus: options.focus })).snapshot : full;
  // A block compared with part of the state would look stale for no reason: no verdict then.
  const complete = reader.missing.length === 0;
  const boot = complete ? await reader.part('the AGENTS.md freshness check', [bootPath(context)], undefined, () => bootStatus(context, full)) : undefined;
  const checks = await reader.part('the state checks', [], [] as Warning[], () =>
    verifyState(context, { snapshot: full, tasks, ...(boot && !boot.fresh ? { bootProblem: boot.reason } : {}), timeLeft: reader.timeLeft }),
  );
  // Open decisions' expectations (`decide --expect`), checked against files, git and the runtime state.
  await reader.part('the checks of open decisions', [], undefined, () => attachChecks(context, snapshot.openDecisions));
  if (full.handoff) {
    const handoff = full.handoff;
    const count = await reader.part('the commits since the handoff', [], undefined, () => commitsSinceHandoff(context, handoff, reader.timeLeft));
    if (count !== undefined) snapshot.commitsSinceHandoff = count;
  }
  const recording = await reader.part('the commit mode', [], undefined, () => ({ mode: context.commitMode, pending: pendingChanges(context).length, changes: pendingChangeCount(context) }));
  if (recording) snapshot.recording = recording;
  const losses = lossesToSay(context, tasks).map((loss) => ({ message: loss.message, gates: !loss.told_before })); // a claim this agent lost comes first; news gates --check
  const warnings: Warning[] = [...losses, ...reader.warnings, ...context.warnings.map((message) => ({ message, gates: true })), ...checks];
  snapshot.warnings = warnings.map((warning) => warning.message);
  if (reader.missing.length || reader.timedOut) {
    snapshot.incomplete = { missing: reader.missing, ...(reader.timedOut ? { timedOutAfterMs: timeout ?? context.config.resume.timeout_ms } : {}) };
  }
  const rendered = render(snapshot, { mode: 'resume', ...(budget !== undefined && !options.full ? { budgetTokens: budget } : {}) });
  const gate = options.check ? [...gateProblems(snapshot.openDecisions.length, warnings, reader.timedOut), ...looksDone(snapshot.openDecisions)] : [];
  const exitCode = options.check && gate.length > 0 ? 1 : 0;
  const data = { ...snapshot, cut: rendered.cut, ...(options.check ? { check: { ok: exitCode === 0, problems: gate } } : {}) };
  const incomplete = snapshot.incomplete ? [`the briefing is incomplete (${[...reader.missing, ...(reader.timedOut ? ['time limit reached'] : [])].join(', ')}); it says what is missing`] : [];
  return {
    data,
    exitCode,
    warnings: options.check ? gate.map((problem) => `resume --check: ${problem}`) : incomplete,
    human: () => (format === 'json' ? JSON.stringify(data, null, 2) : format === 'hook' ? sessionStartOutput(rendered.text) : rendered.text),
    quiet: options.check ? '' : rendered.text,
  };
};

/** Open decisions whose expectations are all met: the work seems to have happened; the agent verifies and records it. */
function looksDone(views: DecisionView[]): string[] {
  return views
    .filter((view) => view.check?.verdict === 'looks-done')
    .map((view) => `${view.id} ${view.check!.label} (\`agentstate outcome ${view.id} done\`): ${view.title}`);
}

/**
 * What fails `resume --check`: only what can be acted on now. Open decisions; and the warnings
 * that gate (an old heartbeat, a stale lock or boot block, a reference held by the runtime state
 * or an open task or decision, a part of the state that could not be read); and a briefing cut
 * short by the time limit. Dangling refs of old events and paths in the user's AGENTS.md text
 * are shown but do not gate.
 */
function gateProblems(openDecisions: number, warnings: Warning[], timedOut: boolean): string[] {
  return [
    ...(openDecisions ? [`${openDecisions} open decision(s) without an outcome`] : []),
    ...warnings.filter((warning) => warning.gates).map((warning) => warning.message),
    ...(timedOut ? ['the time limit ran out before everything was checked'] : []),
  ];
}
