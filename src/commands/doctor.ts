import { accessSync, constants, existsSync, readFileSync, readdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandRun } from '../command.js';
import { SCHEMA_VERSION } from '../core/schemas.js';
import { deferReason } from '../git/commit.js';
import { indexLockState, removeIndexLock } from '../git/index-lock.js';
import { unregisteredDrivers } from '../git/merge-setup.js';
import { finishAdvice, mergingOperation } from '../git/merge-state.js';
import { openContext } from '../store/context.js';
import { bootBlockDamage } from '../store/boot-file.js';
import { createMissing } from '../store/init-state.js';
import { LOCAL_FILES, localPath } from '../store/local.js';
import { readDecisionViews, writeDecisionIndex } from '../store/decisions-file.js';
import { describeHolder, readHolder } from '../store/lock.js';
import { inspectFiles, removeFiles, repairLog, restoreMutable, tempFiles } from '../store/repair.js';
import { trackedLocalFiles, uncommittedStatePaths, workingTreeFiles } from '../store/state-files.js';
import { historyReport } from '../store/history-check.js';
import { mutate } from '../store/mutate.js';
import { pendingChanges } from '../store/with-code.js';
import { pendingChangeCount } from '../store/commit-step.js';
import { staleLock } from '../store/warnings.js';
import { minimumWriter, SCHEMA_FILES, skewFindings } from '../store/skew.js';

export interface DoctorOptions {
  repair?: boolean;
}

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const MIN_FREE_BYTES = 100 * 1024 * 1024;

/** `agentstate doctor [--repair]`: a health report; --repair fixes what it can without losing a record. */
export const run: CommandRun<DoctorOptions> = async ({ options, globals }) => {
  const context = await openContext(globals, { requireInit: false, tolerateConfig: true });
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  const present = existsSync(context.stateDir);
  add('state directory', present && writable(context.stateDir), present ? `${context.stateDir}${writable(context.stateDir) ? '' : ' is not writable'}` : 'missing: run `agentstate init`');
  if (present) {
    const free = freeBytes(context.stateDir);
    add('free disk', free === undefined || free > MIN_FREE_BYTES, free === undefined ? 'unknown' : `${Math.round(free / 1024 / 1024)} MiB free`);
  }
  const files = present ? await inspectFiles(context) : [];
  const damaged = files.filter((file) => file.problem);
  add('state files', damaged.length === 0, damaged.length ? damaged.map((f) => `${context.display(f.path)}${f.line ? `:${f.line}` : ''}: ${f.problem}`).join('; ') : `${files.length} readable`);
  const old = present ? olderSchemas(context.stateDir) : [];
  const newer = present ? skewFindings(context) : [];
  const minWriter = minimumWriter(context);
  add(
    'schema versions',
    old.length === 0 && newer.length === 0,
    newer.length
      ? `version skew: ${newer.join('; ')}; this agentstate reads that state but will not write it: upgrade agentstate to >= ${minWriter ?? 'a version that knows the newer schema'}`
      : old.length
        ? `older schema in ${old.join(', ')}; run \`agentstate migrate\``
        : `all at schema ${SCHEMA_VERSION}`,
  );
  const holder = readHolder(localPath(context, LOCAL_FILES.lock));
  const stale = staleLock(context);
  add('locks', !stale, stale ?? (holder ? `held by ${describeHolder(holder)}` : 'none held'));
  const blockDamage = bootBlockDamage(context);
  if (blockDamage) add('AGENTS.md block', false, `damaged: ${blockDamage}; \`agentstate doctor --repair\` or \`agentstate boot\` rebuilds it and keeps your text`);
  const plantedLocal = present ? trackedLocalFiles(context) : [];
  if (plantedLocal.length) add('tracked local files', false, `${plantedLocal.join(', ')}: tracked by git, never read by agentstate (its local files live under the git dir); \`agentstate doctor --repair\` untracks them`);
  const temps = present ? tempFiles(context) : [];
  add('temp files', temps.length === 0, temps.length ? `${temps.length} left by interrupted writes: ${temps.map((t) => context.display(t)).join(', ')}` : 'none');
  const setAsideFiles = present ? readdirSync(context.stateDir).filter((name) => name.includes('.corrupt-')) : [];
  if (setAsideFiles.length) add('set-aside bytes', true, `${setAsideFiles.join(', ')} (kept by a repair; look at them, then delete them)`);
  const withCode = context.commitMode === 'with-code';
  const pending = present ? pendingChanges(context) : [];
  const uncommitted = present && !withCode ? uncommittedStatePaths(context) : [];
  const waiting = [...new Set([...pending, ...uncommitted])];
  const changes = present ? pendingChangeCount(context) : 0;
  const what = `${changes > 0 ? `${changes} change(s) in ` : ''}${waiting.length} state file(s)`;
  if (withCode) add('commit mode', true, `with-code: ${waiting.length ? `${what} join your next commit (${waiting.join(', ')})` : 'nothing waits for a commit'}`);
  else {
    // Mid-merge the state files are git's to finish: `agentstate commit` would be deferred anyway.
    const operation = mergingOperation(context.repo);
    const next = operation ? `recorded when the git ${operation} ends (finish or abort it first)` : 'run `agentstate commit`';
    add('deferred commits', waiting.length === 0, waiting.length ? `uncommitted: ${waiting.join(', ')}; ${next}` : `none (commit mode ${context.commitMode})`);
  }
  const indexLock = context.repo ? indexLockState(context.repo) : undefined;
  if (context.repo) {
    const reason = deferReason(context.repo);
    add('git', !reason, reason ?? `repository at ${context.repo.root}`);
    const missing = unregisteredDrivers(context.repo);
    add('merge drivers', missing.length === 0, missing.length ? `not registered in this clone: ${missing.join(', ')}; run \`agentstate hooks install\` (a merge without them is an ordinary git conflict)` : 'registered');
    if (present) {
      const history = await historyReport(context, workingTreeFiles(context), { savePoint: false });
      const commits = [...new Set(history.findings.map((finding) => finding.commit.slice(0, 7)))];
      add(
        'history',
        commits.length === 0,
        commits.length
          ? `unacknowledged rewrites: ${history.findings.map((finding) => `${finding.commit.slice(0, 7)} ${finding.change} ${finding.id} in ${finding.file}`).join('; ')}; if on purpose: agentstate check --accept <commit> --why "<reason>"`
          : `no unacknowledged rewrite of a record${history.acceptances.size ? ` (${history.acceptances.size} accepted)` : ''}`,
      );
    }
    if (indexLock) {
      const who = indexLock.holders.length ? `git process(es) ${indexLock.holders.join(', ')} work in this repository` : 'no git process works in this repository';
      add('git index lock', false, `${context.display(indexLock.path)} exists (${Math.round(indexLock.ageMs / 1000)} s old; ${who})${indexLock.orphaned ? ': `agentstate doctor --repair` removes it' : ''}`);
    }
  } else {
    add('git', false, 'not inside a git repository: changes are not recorded');
  }

  const actions: string[] = [];
  const merging = options.repair ? mergingOperation(context.repo) : undefined;
  const refused = merging ? finishAdvice(merging, unregisteredDrivers(context.repo!).length > 0) : undefined;
  if (options.repair && present && !refused) {
    if (stale) actions.push(`removed a stale lock (${stale.split(' (')[0]})`);
    if (indexLock?.orphaned) {
      removeIndexLock(indexLock);
      actions.push(`removed ${context.display(indexLock.path)}, left by a git process that is gone (no git process works in this repository)`);
    }
    const { commit } = await mutate(context, 'doctor --repair', async (tx) => {
      for (const path of plantedLocal) {
        tx.untrack(join(context.repo!.root, path));
        actions.push(`untracked ${path} (kept on disk, never read)`);
      }
      for (const file of damaged) actions.push(file.kind === 'mutable' ? restoreMutable(tx, file) : repairLog(tx, file));
      removeFiles(temps);
      for (const temp of temps) actions.push(`removed temp file ${context.display(temp)}`);
      for (const created of createMissing(tx)) actions.push(`recreated missing ${created}`);
      writeDecisionIndex(tx, await readDecisionViews(context));
      tx.touchBoot();
      if (blockDamage) actions.push(`rebuilt the AGENTS.md block (${blockDamage}); your text outside it is kept`);
      tx.describe(actions.length ? `${actions.length} repairs` : 'regenerate derived files');
    });
    if (commit.status === 'committed') actions.push(`recorded in commit ${commit.sha.slice(0, 7)}`);
  }
  const healthy = checks.every((check) => check.ok);
  return {
    data: { healthy, checks, ...(options.repair ? { repaired: actions } : {}), ...(refused ? { not_repaired: refused } : {}), warnings: context.warnings },
    warnings: context.warnings,
    exitCode: refused ? 1 : healthy || options.repair ? 0 : 1,
    human: (style) =>
      [
        ...checks.map((check) => `${check.ok ? style.green('ok  ') : style.red('FAIL')} ${check.name}: ${check.detail}`),
        ...(refused ? ['', `Nothing was repaired: ${refused}.`] : []),
        ...(options.repair && !refused ? ['', actions.length ? 'Repaired:' : 'Nothing needed repair.', ...actions.map((action) => `  - ${action}`)] : []),
      ].join('\n'),
  };
};

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function freeBytes(dir: string): number | undefined {
  try {
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

/** State files that declare a schema older than this version (or none). */
function olderSchemas(stateDir: string): string[] {
  const older: string[] = [];
  for (const name of SCHEMA_FILES) {
    const path = join(stateDir, name);
    if (!existsSync(path)) continue;
    const text = readFileSync(path, 'utf8').slice(0, 4096);
    const declared = /^\s*"?schema"?\s*:\s*(\d+)/m.exec(text)?.[1];
    if (declared === undefined || Number(declared) < SCHEMA_VERSION) older.push(name);
  }
  return older;
}
