import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { acceptances, type Acceptance } from '../core/acceptance.js';
import { isAncestor, resolveCommit, rewritesIn, type HistoryFinding, type LogFamily } from '../git/history.js';
import { readHead } from '../git/repo.js';
import type { StateContext } from './context.js';
import { ARCHIVE_DIR, FILES } from './layout.js';
import { ensureLocalDir, LOCAL_FILES, localPath } from './local.js';
import type { FileSet } from './state-files.js';
import { packageRoot } from '../package-root.js';

/**
 * The history half of `check`: which commits rewrote a record, minus those someone accepted.
 * Without a check point (a fresh clone, every CI run) it walks every commit that touched the
 * logs; with one, the commits since; `--since <rev>` bounds the walk explicitly. The check point
 * advances to HEAD only when no unaccepted finding is left, so a finding is never walked past.
 */
export interface HistoryReport {
  findings: HistoryFinding[];
  accepted: HistoryFinding[];
  acceptances: Map<string, Acceptance>;
  walked: 'all' | 'since-check-point' | 'since-rev' | 'none';
}

export function logFamilies(context: StateContext): LogFamily[] {
  const archive = context.display(context.path(ARCHIVE_DIR));
  return [
    { kind: 'yaml', active: context.display(context.path(FILES.events)), segmentPrefix: `${archive}/events.`, segmentSuffix: '.yaml' },
    { kind: 'yaml', active: context.display(context.path(FILES.decisions)), segmentPrefix: `${archive}/decisions.`, segmentSuffix: '.yaml' },
    { kind: 'tsv', active: context.display(context.path(FILES.catches)), segmentPrefix: `${archive}/catch-log.`, segmentSuffix: '.tsv' },
    { kind: 'yaml', active: context.display(context.path(FILES.learnings)), segmentPrefix: `${archive}/learnings.`, segmentSuffix: '.yaml' },
    // The backlog's sealed segments: never changed once written (backlog.yaml itself is rewritten
    // by every change, so it is no log; this family's active file never exists).
    { kind: 'yaml', active: `${archive}/backlog`, segmentPrefix: `${archive}/backlog.`, segmentSuffix: '.yaml' },
  ];
}

/** The event log texts (segments and active file) of a file set, for the acceptances. */
export function eventTexts(context: StateContext, files: FileSet): string[] {
  const family = logFamilies(context)[0]!;
  return [...files.entries()]
    .filter(([path]) => path === family.active || (path.startsWith(family.segmentPrefix) && path.endsWith(family.segmentSuffix)))
    .map(([, bytes]) => bytes.toString('utf8'));
}

/** Findings of one commit alone (for `--accept`). */
export function findingsOfCommit(context: StateContext, commit: string): HistoryFinding[] {
  return rewritesIn(context.repo!.root, [`${commit}^!`], logFamilies(context)) ?? [];
}

export async function historyReport(context: StateContext, files: FileSet, options: { since?: string; savePoint: boolean }): Promise<HistoryReport> {
  const accepted = acceptances(eventTexts(context, files));
  const none: HistoryReport = { findings: [], accepted: [], acceptances: accepted, walked: 'none' };
  const repo = context.repo;
  const head = repo ? readHead(repo).sha : undefined;
  if (!repo || !head) return none;
  const pointFile = localPath(context, LOCAL_FILES.checkPoint);
  let revisions: string[];
  let walked: HistoryReport['walked'];
  if (options.since) {
    revisions = [`${options.since}..HEAD`];
    walked = 'since-rev';
  } else {
    const point = existsSync(pointFile) ? readFileSync(pointFile, 'utf8').trim() : undefined;
    if (point === head) return none;
    const usable = point && resolveCommit(repo.root, point) && isAncestor(repo.root, point);
    revisions = usable ? [`${point}..HEAD`] : ['HEAD'];
    walked = usable ? 'since-check-point' : 'all';
  }
  if (!options.since && existsSync(join(repo.commonDir, 'shallow'))) {
    context.warn('this clone is shallow: commits before its boundary are not checked for rewritten records; fetch the whole history (actions/checkout `fetch-depth: 0`, GitLab `GIT_DEPTH: 0`)');
  }
  const all = (await walkInWorker(repo.root, revisions, logFamilies(context))) ?? [];
  const findings = all.filter((finding) => !accepted.has(finding.commit));
  if (options.savePoint && !options.since && findings.length === 0) savePoint(context, head);
  return { findings, accepted: all.filter((finding) => accepted.has(finding.commit)), acceptances: accepted, walked };
}

/**
 * Start the walk on a worker thread and return at once: the caller validates the files meanwhile.
 * Where a worker cannot start, the walk runs here.
 */
export function walkInWorker(root: string, revisions: string[], families: LogFamily[]): Promise<HistoryFinding[] | undefined> {
  return new Promise((resolve) => {
    const inThread = () => resolve(rewritesIn(root, revisions, families));
    let worker: Worker;
    try {
      worker = new Worker(join(packageRoot(), 'dist', 'git', 'history-worker.js'), { workerData: { root, revisions, families } });
    } catch {
      inThread();
      return;
    }
    worker.once('message', (found: HistoryFinding[] | null) => resolve(found ?? undefined));
    worker.once('error', inThread);
  });
}

function savePoint(context: StateContext, head: string): void {
  try {
    ensureLocalDir(context);
    writeFileSync(localPath(context, LOCAL_FILES.checkPoint), `${head}\n`);
  } catch {
    /* a check point only saves time */
  }
}

/** One line per finding, with the way to accept it. */
export function describeRewrite(finding: HistoryFinding): string {
  const short = finding.commit.slice(0, 7);
  const what = finding.merge
    ? `merge ${short} ${finding.change === 'removed' ? 'dropped' : 'changed'} record ${finding.id} that a parent held${finding.change === 'changed' ? ' (a version no parent has)' : ''}`
    : `commit ${short} ${finding.change} record ${finding.id}`;
  return `${what} (append-only); if that was on purpose: agentstate check --accept ${short} --why "<reason>"`;
}
