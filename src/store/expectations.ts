import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { DecisionView } from '../core/decisions.js';
import { getPath, parseKey } from '../core/dotted.js';
import {
  commitsAfter,
  indexCommits,
  matchingCommit,
  pathProblem,
  stateResult,
  verdictOf,
  expectationProblem,
  type CommitInfo,
  type DecisionCheck,
  type Expectation,
  type ExpectationResult,
} from '../core/expectations.js';
import { commitsSince, refsNamed, type RefInfo } from '../git/evidence.js';
import { readRuntime } from './runtime-file.js';
import type { StateContext } from './context.js';

/**
 * Open decisions checked against the repository: read-only looks at files, git and the runtime
 * state, never a command. Expectations arrive from clones that may be hostile, so a path is
 * walked component by component and refused (unmet, with the reason) as soon as it, or a symlink
 * on its way, leaves the repository.
 */
const MAX_LINKS = 40;
const DAY_MS = 86_400_000;

/** The absolute path of a repository-relative path, or why it is refused. */
export function confinedPath(root: string, path: string): { path: string } | { problem: string } {
  const syntax = pathProblem(path);
  if (syntax) return { problem: syntax };
  const top = realpathSync(root);
  const inside = (candidate: string) => candidate === top || candidate.startsWith(top + sep);
  const queue = path.split(/[\\/]+/).filter((part) => part !== '' && part !== '.');
  let current = top;
  let links = 0;
  while (queue.length) {
    const next = join(current, queue.shift()!);
    let link = false;
    try {
      link = lstatSync(next).isSymbolicLink();
    } catch {
      // Nothing there: nothing below it can be a link either, and `..` was refused above.
      return { path: join(next, ...queue) };
    }
    if (!link) {
      current = next;
      continue;
    }
    if (++links > MAX_LINKS) return { problem: `too many symbolic links on the way to ${path}` };
    const target = resolve(current, readlinkSync(next));
    if (!inside(target)) return { problem: `${relative(top, next)} is a symbolic link that leaves the repository` };
    queue.unshift(...relative(top, target).split(sep).filter(Boolean));
    current = top;
  }
  return { path: current };
}

/** Decide-time validation: exit 2 material, or undefined when the expectation may be written. */
export function expectationRefusal(context: StateContext, expect: Expectation): string | undefined {
  const problem = expectationProblem(expect.kind, expect.value);
  if (problem) return problem;
  if (expect.kind !== 'file' && expect.kind !== 'absent') return undefined;
  const confined = confinedPath(context.root, expect.value);
  return 'problem' in confined ? confined.problem : undefined;
}

/** What the checks look at, read once for all decisions. */
interface Sources {
  root?: string;
  refs: Map<string, RefInfo[]>;
  runtime: () => { fields: Record<string, unknown> } | { problem: string };
}

/** Check the expectations of the open decisions that have some; keyed by decision id. */
export function checkDecisions(context: StateContext, views: DecisionView[]): Map<string, DecisionCheck> {
  const open = views.filter((view) => view.status === 'open' && view.expect?.length);
  const checks = new Map<string, DecisionCheck>();
  if (open.length === 0) return checks;
  const root = context.repo?.root;
  const withCommits = open.filter((view) => view.expect!.some((expect) => expect.kind === 'commit'));
  const earliest = Math.min(...withCommits.map((view) => Date.parse(view.at) || 0));
  // A day of slack: the decision's own commit and its parents, on a clock a little behind ours.
  const commits = indexCommits(root && withCommits.length ? commitsSince(root, earliest - DAY_MS) : []);
  const branches = open.flatMap((view) => view.expect!).filter((expect) => (expect.kind === 'branch' || expect.kind === 'tag') && !expectationProblem(expect.kind, expect.value));
  let runtime: ReturnType<Sources['runtime']> | undefined;
  const sources: Sources = {
    ...(root ? { root } : {}),
    refs: root ? refsNamed(root, [...new Set(branches.map((expect) => expect.value))]) : new Map(),
    runtime: () => {
      try {
        runtime ??= { fields: readRuntime(context).fields };
      } catch (error) {
        runtime = { problem: (error as Error).message };
      }
      return runtime;
    },
  };
  for (const view of open) {
    const after = withCommits.includes(view) ? commitsAfter(view, commits) : [];
    checks.set(view.id, verdictOf(view.expect!.map((expect) => evaluate(context, expect, after, sources))));
  }
  return checks;
}

function evaluate(context: StateContext, expect: Expectation, after: CommitInfo[], sources: Sources): ExpectationResult {
  const problem = expectationProblem(expect.kind, expect.value);
  if (problem) return { expect, met: false, reason: `not checked: ${problem}` };
  switch (expect.kind) {
    case 'file':
    case 'absent':
      return pathResult(context, expect);
    case 'commit': {
      if (!sources.root) return { expect, met: false, reason: 'not inside a git repository' };
      const found = matchingCommit(expect.value, after);
      return found
        ? { expect, met: true, evidence: `${found.sha.slice(0, 7)} ${found.date} ${firstLine(found.message)}` }
        : { expect, met: false, reason: 'no commit after the decision has this in its message' };
    }
    case 'branch':
    case 'tag': {
      const refs = sources.refs.get(expect.value) ?? [];
      const ref = expect.kind === 'tag' ? refs.find((candidate) => candidate.tag) : refs[0];
      if (ref) return { expect, met: true, evidence: `${ref.ref} at ${ref.sha.slice(0, 7)}` };
      return { expect, met: false, reason: expect.kind === 'tag' ? 'no tag of that name' : 'no branch or tag of that name' };
    }
    case 'state': {
      const state = sources.runtime();
      if ('problem' in state) return { expect, met: false, reason: `runtime state unreadable: ${state.problem}` };
      const parsed = parseKey(expect.value.split('=')[0]!);
      return stateResult(expect, 'segments' in parsed ? getPath(state.fields, parsed.segments) : { found: false });
    }
  }
}

const firstLine = (text: string) => `"${text.split('\n')[0]}"`;

function pathResult(context: StateContext, expect: Expectation): ExpectationResult {
  const confined = confinedPath(context.root, expect.value);
  if ('problem' in confined) return { expect, met: false, reason: `refused: ${confined.problem}` };
  let found: { dir: boolean; bytes: number; mtime: string } | undefined;
  try {
    const stat = expect.kind === 'absent' ? lstatSync(confined.path) : statSync(confined.path);
    found = { dir: stat.isDirectory(), bytes: stat.size, mtime: stat.mtime.toISOString() };
  } catch {
    found = undefined;
  }
  if (expect.kind === 'absent') return found ? { expect, met: false, reason: `${expect.value} exists` } : { expect, met: true, evidence: `${expect.value} does not exist` };
  if (!found) return { expect, met: false, reason: `${expect.value} does not exist` };
  return { expect, met: true, evidence: found.dir ? `directory ${expect.value} exists` : `${expect.value} exists (${found.bytes} bytes, modified ${found.mtime})` };
}

/** Attach the checks to the views (resume and decisions show them; nothing is stored). */
export function attachChecks(context: StateContext, views: DecisionView[]): void {
  const checks = checkDecisions(context, views);
  for (const view of views) {
    const check = checks.get(view.id);
    if (check) view.check = check;
  }
}

