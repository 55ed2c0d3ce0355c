import { parseKey } from './dotted.js';

/**
 * Verify, don't infer: a decision may declare what would be true once its action is done
 * (`decide … --expect file:db/0042.sql --expect commit:"migration 0042"`), and resume checks it.
 * Kinds are declarative and read-only, never a command: decisions arrive from clones that may be
 * hostile. This module is pure: parsing, the commit rule and the verdict. The store looks.
 */
export const EXPECTATION_KINDS = ['file', 'absent', 'commit', 'branch', 'tag', 'state'] as const;
export type ExpectationKind = (typeof EXPECTATION_KINDS)[number];

export interface Expectation {
  kind: ExpectationKind;
  value: string;
}

export interface ExpectationResult {
  expect: Expectation;
  met: boolean;
  /** What was found: the file, the commit (sha, date, subject), the ref, the runtime value. */
  evidence?: string;
  /** Why it is not met, or why it could not be looked at (a path leaving the repository). */
  reason?: string;
  /**
   * The finding without what changes at every touch (a file's size and time, a branch's sha, a
   * value still being set): what the AGENTS.md block shows, so it is not rewritten for those.
   */
  summary?: string;
}

export type Verdict = 'looks-done' | 'partly-done' | 'not-started';

export const VERDICT_LABEL: Record<Verdict, string> = {
  'looks-done': 'looks done — verify and record the outcome',
  'partly-done': 'partly done',
  'not-started': 'not started',
};

export interface DecisionCheck {
  verdict: Verdict;
  label: string;
  met: number;
  total: number;
  results: ExpectationResult[];
}

/** All met: looks done; some: partly done; none: not started. The tool never closes a decision itself. */
export function verdictOf(results: ExpectationResult[]): DecisionCheck {
  const met = results.filter((result) => result.met).length;
  const verdict: Verdict = results.length > 0 && met === results.length ? 'looks-done' : met > 0 ? 'partly-done' : 'not-started';
  const label = verdict === 'partly-done' ? `${VERDICT_LABEL[verdict]} (${met} of ${results.length} met)` : VERDICT_LABEL[verdict];
  return { verdict, label, met, total: results.length, results };
}

/** `kind:value` as typed after --expect, and as shown. */
export const describeExpectation = (expect: Expectation) => (expect.kind === 'commit' ? `commit "${expect.value}"` : `${expect.kind} ${expect.value}`);

/** A problem with a path as text: absolute, `..`, control characters. Symlinks are the store's to check. */
export function pathProblem(path: string): string | undefined {
  if (path.trim() === '') return 'the path is empty';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'the path contains a control character';
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path) || path.startsWith('~')) {
    return 'the path is absolute; give it relative to the repository root';
  }
  if (path.split(/[\\/]/).includes('..')) return 'the path contains `..`; it must stay inside the repository';
  return undefined;
}

const REF_NAME = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)(?!.*\.lock$)(?!.*[/.]$)[A-Za-z0-9._/-]{1,200}$/;

/** What is wrong with an expectation, or undefined; `value` as stored (without the kind). */
export function expectationProblem(kind: string, value: string): string | undefined {
  if (!(EXPECTATION_KINDS as readonly string[]).includes(kind)) return `"${kind}" is not a kind: use ${EXPECTATION_KINDS.join(', ')}`;
  switch (kind as ExpectationKind) {
    case 'file':
    case 'absent':
      return pathProblem(value);
    case 'commit':
      if (value.trim() === '') return 'the commit message text is empty';
      return /[\r\n]/.test(value) ? 'the commit message text must be one line' : undefined;
    case 'branch':
      return REF_NAME.test(value) ? undefined : `"${value}" is not a branch or tag name`;
    case 'tag':
      return REF_NAME.test(value) ? undefined : `"${value}" is not a tag name`;
    case 'state': {
      const key = value.includes('=') ? value.slice(0, value.indexOf('=')) : value;
      const parsed = parseKey(key);
      return 'problem' in parsed ? parsed.problem : undefined;
    }
  }
}

/** Parse `kind:value` from the command line; a problem names what to write instead. */
export function parseExpectation(text: string): Expectation | { problem: string } {
  const colon = text.indexOf(':');
  if (colon <= 0) return { problem: `"${text}" is not kind:value (kinds: ${EXPECTATION_KINDS.join(', ')}), e.g. file:db/0042.sql` };
  const kind = text.slice(0, colon).trim().toLowerCase();
  let value = text.slice(colon + 1);
  if (kind === 'file' || kind === 'absent') value = value.replace(/^(\.\/)+/, '');
  const problem = expectationProblem(kind, value);
  return problem ? { problem } : { kind: kind as ExpectationKind, value };
}

/** The expectations of a raw record, tolerant of whatever a clone wrote. */
export function expectationsOf(raw: unknown): Expectation[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null)
    .map((item) => ({ kind: String(item.kind) as ExpectationKind, value: String(item.value ?? '') }));
}

/** A commit as `git log` gives it. */
export interface CommitInfo {
  sha: string;
  parents: string[];
  /** Committer time, ms since the epoch (whole seconds). */
  time: number;
  date: string;
  message: string;
}

const OWN_COMMIT = /^agentstate: /;
const RECORD_TRAILERS = /^Agentstate-Id: (\S+)$/gm;

/** Commits indexed once for all decisions: by sha, by the record id in agentstate's trailer. */
export interface CommitIndex {
  bySha: Map<string, CommitInfo>;
  children: Map<string, string[]>;
  byRecord: Map<string, CommitInfo>;
  /** The commits that are not agentstate's own (a record is not the work). */
  work: CommitInfo[];
}

export function indexCommits(commits: CommitInfo[]): CommitIndex {
  const byRecord = new Map<string, CommitInfo>();
  const children = new Map<string, string[]>();
  const work: CommitInfo[] = [];
  for (const commit of commits) {
    for (const parent of commit.parents) {
      const siblings = children.get(parent);
      if (siblings) siblings.push(commit.sha);
      else children.set(parent, [commit.sha]);
    }
    if (!OWN_COMMIT.test(commit.message)) {
      work.push(commit);
      continue;
    }
    // A squashed commit (commit mode squash) names every record it holds.
    for (const [, id] of commit.message.matchAll(RECORD_TRAILERS)) if (id && !byRecord.has(id)) byRecord.set(id, commit);
  }
  return { bySha: new Map(commits.map((commit) => [commit.sha, commit])), children, byRecord, work };
}

/**
 * The commits that count as made after a decision: never the decision's own commit or one of its
 * ancestors (made before it), never agentstate's own commits (a record is not the work); then a
 * descendant of the decision's commit, or a commit whose time is after the decision's. Git times
 * have whole seconds: a commit in the decision's own second counts only as a descendant.
 */
export function commitsAfter(decision: { id: string; at: string }, commits: CommitInfo[] | CommitIndex): CommitInfo[] {
  const index = Array.isArray(commits) ? indexCommits(commits) : commits;
  const own = index.byRecord.get(decision.id);
  const at = Date.parse(decision.at);
  if (!own) return index.work.filter((commit) => commit.time > at);
  const descends = reach(index.children.get(own.sha) ?? [], (sha) => index.children.get(sha));
  // A later time on a commit that does not descend from the decision: unless it is an ancestor
  // (a clock running ahead), it was made after. Only then is the ancestry walked.
  const late = index.work.filter((commit) => commit.time > at && !descends.has(commit.sha));
  const before = late.length ? reach(own.parents, (sha) => index.bySha.get(sha)?.parents) : new Set<string>();
  return index.work.filter((commit) => descends.has(commit.sha) || (commit.time > at && !before.has(commit.sha)));
}

/** Every commit reachable from `start` by `next` (parents: ancestors; children: descendants). Iterative, for long histories. */
function reach(start: string[], next: (sha: string) => string[] | undefined): Set<string> {
  const seen = new Set<string>();
  const queue = [...start];
  for (let sha = queue.pop(); sha !== undefined; sha = queue.pop()) {
    if (seen.has(sha)) continue;
    seen.add(sha);
    for (const other of next(sha) ?? []) if (!seen.has(other)) queue.push(other);
  }
  return seen;
}

/** The newest commit after the decision whose message contains the text (case-insensitive). */
export function matchingCommit(text: string, after: CommitInfo[]): CommitInfo | undefined {
  const needle = text.toLowerCase();
  return after.find((commit) => commit.message.toLowerCase().includes(needle));
}

/** `state:KEY` (has a value) or `state:KEY=VALUE` (has this value; JSON values compared as JSON). */
export function stateResult(expect: Expectation, found: { found: boolean; value?: unknown }): ExpectationResult {
  const eq = expect.value.indexOf('=');
  const key = eq < 0 ? expect.value : expect.value.slice(0, eq);
  if (!found.found || found.value === null) return { expect, met: false, reason: `runtime state has no ${key}` };
  const shown = typeof found.value === 'string' ? found.value : JSON.stringify(found.value);
  if (eq < 0) return { expect, met: true, evidence: `${key} = ${shown}`, summary: `${key} has a value` };
  const wanted = expect.value.slice(eq + 1);
  const met = shown === wanted || (typeof found.value !== 'string' && sameJson(found.value, wanted));
  return met ? { expect, met, evidence: `${key} = ${shown}` } : { expect, met, reason: `${key} is ${shown}`, summary: `${key} is not ${wanted}` };
}

function sameJson(value: unknown, text: string): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(value);
  } catch {
    return false;
  }
}
