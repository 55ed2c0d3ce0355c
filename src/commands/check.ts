import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { CommandRun } from '../command.js';
import { failure } from '../errors.js';
import { rewrittenSince } from '../git/history.js';
import { readHead } from '../git/repo.js';
import { bootStatus, blockDigestProblem } from '../store/boot-file.js';
import { openContext, type StateContext } from '../store/context.js';
import { checkFiles, format, type Finding } from '../store/integrity.js';
import { BOOT_FILE, FILES } from '../store/layout.js';
import { LOCAL_FILES, localDir, localPath } from '../store/local.js';
import { pendingForCommit, stagePending } from '../store/with-code.js';
import { headFiles, indexFiles, readSegmentCache, trackedLocalFiles, workingTreeFiles, writeSegmentCache } from '../store/state-files.js';

export interface CheckOptions {
  staged?: boolean;
}

/**
 * `agentstate check [--staged]`: validate everything; one line per finding (`file:line: message`),
 * exit 1 if there is any. With --staged it checks what is about to be committed (pre-commit hook).
 */
export const run: CommandRun<CheckOptions> = async ({ options, globals }) => {
  const context = await openContext(globals);
  if (options.staged && !context.repo) throw failure('check --staged needs a git repository');
  const current = options.staged ? indexFiles(context) : workingTreeFiles(context);
  // Commit mode with-code: the state waiting for this commit joins it, once it passes the check.
  const joining = options.staged && context.commitMode === 'with-code' ? pendingForCommit(context, current) : new Map<string, Buffer>();
  for (const [path, bytes] of joining) current.set(path, bytes);
  const cache = readSegmentCache(context);
  const validated: string[] = [];
  const findings: Finding[] = await checkFiles({ stateDir: context.display(context.stateDir), current, previous: headFiles(context), trusted: cache, validated });
  writeSegmentCache(context, cache, validated);
  const bootFile = context.display(context.path('..', BOOT_FILE));
  if (options.staged) {
    const staged = current.get(bootFile)?.toString('utf8');
    const problem = staged === undefined ? undefined : blockDigestProblem(staged);
    if (problem) findings.push({ file: bootFile, message: problem });
  } else {
    const status = await bootStatus(context);
    if (!status.fresh) findings.push({ file: bootFile, message: `${status.reason}; run \`agentstate boot\`` });
  }
  if (!options.staged && context.repo) findings.push(...historyFindings(context));
  const planted = trackedLocalFiles(context);
  if (planted.length) context.warn(`ignored (tracked by git, never read by agentstate): ${planted.join(', ')}; \`agentstate doctor --repair\` untracks them`);
  if (findings.length === 0) stagePending(context, joining);
  const lines = findings.map(format);
  return {
    data: { ok: findings.length === 0, findings, warnings: context.warnings },
    warnings: context.warnings,
    exitCode: findings.length ? 1 : 0,
    quiet: lines.join('\n'),
    human: () => (lines.length ? lines.join('\n') : `ok: ${current.size} state files checked`),
  };
};

/**
 * Commits since the last check point that changed or removed a record. The check point is the
 * HEAD of the last clean check, kept under the git dir, so each commit is looked at once.
 */
function historyFindings(context: StateContext): Finding[] {
  const repo = context.repo!;
  const head = readHead(repo).sha;
  if (!head) return [];
  const pointFile = localPath(context, LOCAL_FILES.checkPoint);
  const from = existsSync(pointFile) ? readFileSync(pointFile, 'utf8').trim() : undefined;
  const logs = [FILES.events, FILES.decisions, FILES.catches, FILES.learnings].map((name) => context.display(context.path(name)));
  const found = from && from !== head ? (rewrittenSince(repo.root, from, { logs, archive: context.display(context.path('archive')) }) ?? []) : [];
  if (found.length === 0 && existsSync(localDir(context))) writeFileSync(pointFile, `${head}\n`);
  return found.map((finding) => ({ file: finding.file, message: `commit ${finding.commit.slice(0, 7)} changed or removed record ${finding.id} (append-only)` }));
}
