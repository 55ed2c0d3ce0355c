import type { CommandOutput, CommandRun } from '../command.js';
import { acceptances, ACCEPT_TYPE } from '../core/acceptance.js';
import { newId } from '../core/ids.js';
import { eventSchema } from '../core/schemas.js';
import { failure, notFoundError, usageError } from '../errors.js';
import { resolveCommit } from '../git/history.js';
import { bootStatus, blockDigestProblem } from '../store/boot-file.js';
import { openContext, type GlobalOptions, type StateContext } from '../store/context.js';
import { describeRewrite, eventTexts, findingsOfCommit, historyReport } from '../store/history-check.js';
import { checkFiles, format, isError, type Finding } from '../store/integrity.js';
import { BOOT_FILE } from '../store/layout.js';
import { appendLogRecord } from '../store/logs.js';
import { mutate } from '../store/mutate.js';
import { headFiles, indexFiles, readSegmentCache, stagedStateStatus, trackedLocalFiles, workingTreeFiles, writeSegmentCache, type FileSet } from '../store/state-files.js';
import { pendingForCommit, prunePending, stagePending } from '../store/with-code.js';
import { commitNote, nowIso, validated } from './shared.js';

export interface CheckOptions {
  staged?: boolean;
  since?: string;
  accept?: string;
  why?: string;
}

/**
 * `agentstate check`: validate everything, and walk the history for rewritten records; one line
 * per finding (`file:line: message`), exit 1 if there is an error (warnings do not fail).
 * `--staged` (the pre-commit hook) judges only what the commit being made introduces.
 * `--accept <commit> --why` records that a flagged rewrite was on purpose.
 */
export const run: CommandRun<CheckOptions> = async ({ options, globals }) => {
  if (options.accept !== undefined) return accept(options, globals);
  if (options.why !== undefined) throw usageError('--why goes with --accept <commit>', 'agentstate check --accept <commit> --why "<reason>"');
  if (options.staged) return staged(options, globals);
  const context = await openContext(globals);
  const current = workingTreeFiles(context);
  const since = options.since === undefined || !context.repo ? undefined : sinceCommit(context, options.since);
  // The history walk runs on a second thread while the files are validated here.
  const walk = context.repo ? historyReport(context, current, { ...(since ? { since } : {}), savePoint: true }) : undefined;
  const findings = await validate(context, current, headFiles(context));
  const status = await bootStatus(context);
  if (!status.fresh) findings.push({ file: bootFile(context), message: `${status.reason}; run \`agentstate boot\`` });
  const history = await walk;
  if (history) findings.push(...history.findings.map((finding) => ({ file: finding.file, message: describeRewrite(finding) })));
  return report(context, findings, `${current.size} state files checked`);
};

/** What the commit being made introduces: findings HEAD already has are not the committer's to fix. */
async function staged(options: CheckOptions, globals: GlobalOptions): Promise<CommandOutput> {
  if (options.since !== undefined) throw usageError('--since walks history; it does not go with --staged');
  const context = await openContext(globals, { requireInit: false, tolerateConfig: true });
  if (!context.repo) throw failure('check --staged needs a git repository');
  const status = stagedStateStatus(context);
  // Commit mode with-code: the state waiting for this commit joins it, once it passes the check.
  const withCode = context.commitMode === 'with-code' && prunePending(context).length > 0;
  if (status !== 'changed' && !withCode) return report(context, [], status === 'none' ? 'no agentstate state in this repository; nothing to check' : 'no state file staged; nothing to check');
  const current = indexFiles(context);
  const joining = withCode ? pendingForCommit(context, current) : new Map<string, Buffer>();
  for (const [path, bytes] of joining) current.set(path, bytes);
  const head = headFiles(context);
  let findings = await validate(context, current, head);
  const block = current.get(bootFile(context))?.toString('utf8');
  const problem = block === undefined ? undefined : blockDigestProblem(block);
  if (problem) findings.push({ file: bootFile(context), message: problem });
  if (findings.some(isError) && head.size) {
    const before = await validate(context, head, new Map());
    const headBlock = head.get(bootFile(context))?.toString('utf8');
    const headProblem = headBlock === undefined ? undefined : blockDigestProblem(headBlock);
    if (headProblem) before.push({ file: bootFile(context), message: headProblem });
    const known = new Set(before.map(key));
    findings = findings.filter((finding) => !known.has(key(finding)));
  }
  if (!findings.some(isError)) stagePending(context, joining);
  return report(context, findings, `${current.size} staged state files checked`);
}

/** `--accept <commit> --why`: an acknowledgment record, appended and committed like any event. */
async function accept(options: CheckOptions, globals: GlobalOptions): Promise<CommandOutput> {
  if (options.staged || options.since !== undefined) throw usageError('--accept goes alone (no --staged, no --since)');
  if (!options.why?.trim()) throw usageError('--accept needs --why "<reason>"', 'say why the rewrite was on purpose; the reason is recorded with your name');
  const context = await openContext(globals);
  if (!context.repo) throw failure('check --accept needs a git repository');
  const commit = resolveCommit(context.repo.root, options.accept!);
  if (!commit) throw notFoundError(`--accept: no commit "${options.accept}" in this repository`, 'name it by its id, e.g. the 7 characters `agentstate check` printed');
  const short = commit.slice(0, 7);
  const rewrites = findingsOfCommit(context, commit);
  if (rewrites.length === 0) throw usageError(`commit ${short} changed or removed no record; there is nothing to accept`, 'run `agentstate check` to see the commits it flags');
  const existing = acceptances(eventTexts(context, workingTreeFiles(context))).get(commit);
  if (existing) {
    return { data: { accepted: commit, existing: true, id: existing.id }, quiet: existing.id, human: () => `commit ${short} was already accepted by ${existing.agent} (${existing.id}): ${existing.why}` };
  }
  const record = validated(context, eventSchema, {
    id: newId('event'),
    at: nowIso(),
    type: ACCEPT_TYPE,
    agent: context.agent(),
    ...(context.session() ? { session: context.session() } : {}),
    commit,
    summary: options.why.trim(),
    data: { records: [...new Set(rewrites.map((rewrite) => rewrite.id))] },
  });
  const { commit: recorded } = await mutate(context, 'check --accept', (tx) => {
    appendLogRecord(tx, 'events', record);
    tx.describe(`rewrite in ${short}: ${record.summary}`, record.id);
  });
  return {
    data: { accepted: commit, id: record.id, records: record.data!.records, commit: recorded, warnings: context.warnings },
    warnings: context.warnings,
    quiet: record.id,
    human: () => `accepted the rewrite in ${short} (${rewrites.length} record(s)) as ${record.id}${commitNote(recorded)}`,
  };
}

async function validate(context: StateContext, current: FileSet, previous: FileSet): Promise<Finding[]> {
  const cache = readSegmentCache(context);
  const validated: string[] = [];
  const findings = await checkFiles({ stateDir: context.display(context.stateDir), current, previous, trusted: cache, validated });
  writeSegmentCache(context, cache, validated);
  return findings;
}

function sinceCommit(context: StateContext, rev: string): string {
  const commit = resolveCommit(context.repo!.root, rev);
  if (!commit) throw usageError(`--since: no commit "${rev}" in this repository`, 'give a branch, tag or commit, e.g. --since origin/main (fetch it first)');
  return commit;
}

const bootFile = (context: StateContext) => context.display(context.path('..', BOOT_FILE));
const key = (finding: Finding) => `${finding.file}\0${finding.severity ?? ''}\0${finding.message}`;

function report(context: StateContext, findings: Finding[], okLine: string): CommandOutput {
  const planted = trackedLocalFiles(context);
  if (planted.length) context.warn(`ignored (tracked by git, never read by agentstate): ${planted.join(', ')}; \`agentstate doctor --repair\` untracks them`);
  const errors = findings.filter(isError);
  const lines = findings.map(format);
  return {
    data: { ok: errors.length === 0, findings, warnings: context.warnings },
    warnings: context.warnings,
    exitCode: errors.length ? 1 : 0,
    quiet: lines.join('\n'),
    human: () => (lines.length ? lines.join('\n') : `ok: ${okLine}`),
  };
}
