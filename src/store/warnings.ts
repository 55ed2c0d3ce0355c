import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Snapshot } from '../core/briefing.js';
import { inFuture } from '../core/merge-runtime.js';
import { visible } from '../core/text.js';
import type { Task } from '../core/schemas.js';
import { git } from '../git/run.js';
import { BOOT_FILE } from './layout.js';
import { LOCAL_FILES, localDir, localPath } from './local.js';
import { findBlock } from '../core/boot-block.js';
import { describeHolder, readHolder, staleReason } from './lock.js';
import type { StateContext } from './context.js';

/**
 * Stale state found by checking, not inferring (SPEC section 6). Each finding says whether it
 * gates `resume --check`: only what can be acted on now does (an open decision, an old heartbeat,
 * a stale lock or boot block, a reference held by the current runtime state or by an open task or
 * decision, a part of the state that could not be read). A dangling ref in an old event cannot be
 * fixed (the log is append-only), and a path in the user's own AGENTS.md text is theirs: those
 * are warnings only.
 */
export interface Warning {
  message: string;
  gates: boolean;
}

export interface VerifyInput {
  snapshot: Snapshot;
  /** Every task: the open ones (not done or dropped) hold references. */
  tasks: Task[];
  bootProblem?: string;
  /** Milliseconds left for git; git is not asked when nothing is left. */
  timeLeft: () => number;
}

const FIELD_LEAF = { commit: /(^|_)(commit|sha|head)$/, branch: /(^|_)branch$/, path: /(^|_)(path|file|dir|ref)s?$/ };

export function verifyState(context: StateContext, input: VerifyInput): Warning[] {
  const { snapshot } = input;
  const warnings: Warning[] = [];
  const gate = (message: string) => warnings.push({ message, gates: true });
  const note = (message: string) => warnings.push({ message, gates: false });
  const runtime = snapshot.runtime;
  const limitMinutes = context.config.runtime.heartbeat_stale_minutes;
  if (runtime?.heartbeat_at) {
    const minutes = (Date.now() - Date.parse(runtime.heartbeat_at)) / 60000;
    if (inFuture(runtime.heartbeat_at, Date.now())) {
      gate(`runtime heartbeat ${visible(runtime.heartbeat_at)} is in the future: a clock is wrong (or the date was forged), so it does not show the last session is alive`);
    } else if (minutes > limitMinutes) gate(`runtime heartbeat is ${Math.round(minutes)} minutes old (limit ${limitMinutes}): the last session may have died`);
  }
  const commits = new Set<string>();
  const branches = new Set<string>();
  // Path -> [where it is named, whether it gates].
  const paths = new Map<string, [string, boolean]>();
  const held = (fields: Array<[string, unknown]>, where: (key: string) => string) => {
    for (const [key, value] of fields) {
      for (const text of Array.isArray(value) ? value : [value]) {
        if (typeof text !== 'string' || text === '') continue;
        const leaf = key.split('.').pop()!.toLowerCase();
        if (FIELD_LEAF.commit.test(leaf) && /^[0-9a-f]{4,40}$/i.test(text)) commits.add(text);
        else if (FIELD_LEAF.branch.test(leaf)) branches.add(text);
        else if (FIELD_LEAF.path.test(leaf) && looksLikePath(text)) paths.set(text, [where(key), true]);
      }
    }
  };
  held(flatten(runtime?.fields ?? {}), (key) => `runtime field ${key}`);
  const known = new Set(input.tasks.map((task) => task.id));
  for (const task of input.tasks) {
    if (task.status === 'done' || task.status === 'dropped') continue;
    held(Object.entries(task), (key) => `task ${task.id} ${key}`);
    for (const dep of task.depends_on ?? []) if (!known.has(dep)) gate(`task ${task.id} depends on ${dep}, which does not exist`);
  }
  for (const view of snapshot.openDecisions) held(Object.entries(view as unknown as Record<string, unknown>), (key) => `open decision ${view.id} ${key}`);
  for (const event of snapshot.recentEvents) {
    if (event.ref && looksLikePath(event.ref) && !paths.has(event.ref)) paths.set(event.ref, [`event ${event.id} ref`, false]);
  }
  for (const path of pathsInBootFile(context)) if (!paths.has(path)) paths.set(path, [`the text of ${BOOT_FILE}`, false]);
  for (const [path, [where, gates]] of paths) {
    if (existsSync(isAbsolute(path) ? path : join(context.root, path))) continue;
    (gates ? gate : note)(`${where} names ${path}, which does not exist`);
  }
  if (context.repo) {
    for (const sha of unknownCommits(context.repo.root, [...commits], input.timeLeft)) gate(`runtime state names commit ${sha}, which git does not know`);
    for (const branch of branches) {
      if (!branchExists(context.repo.root, branch, input.timeLeft)) gate(`runtime state names branch ${branch}, which does not exist`);
    }
  }
  if (input.bootProblem) gate(`${BOOT_FILE}: ${input.bootProblem}; run \`agentstate boot\``);
  const lock = staleLock(context);
  if (lock) gate(lock);
  return warnings;
}

/** A lock left behind by a dead or stuck process, if any. */
export function staleLock(context: StateContext): string | undefined {
  const dir = localDir(context);
  if (!existsSync(dir)) return undefined;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.lock') && name !== `${LOCAL_FILES.lock}.break`) continue;
    const path = join(dir, name);
    const holder = readHolder(path);
    const reason = staleReason(path, holder, context.config.lock.stale_ms);
    if (reason) return `stale lock ${context.display(path)} (${describeHolder(holder)}: ${reason}); the next command breaks it, or run \`agentstate doctor --repair\``;
  }
  return undefined;
}

function flatten(value: Record<string, unknown>, prefix = ''): Array<[string, unknown]> {
  return Object.entries(value).flatMap(([key, item]) =>
    item && typeof item === 'object' && !Array.isArray(item) ? flatten(item as Record<string, unknown>, `${prefix}${key}.`) : [[`${prefix}${key}`, item] as [string, unknown]],
  );
}

const looksLikePath = (text: string) =>
  !/^[a-z][a-z0-9+.-]*:/i.test(text) && !/\s/.test(text) && !/[*?<>|]/.test(text) && (text.includes('/') || /^[\w.-]+\.\w{1,8}$/.test(text));

/** Paths in backticks in the user's part of AGENTS.md, such as `src/cli.ts`. */
function pathsInBootFile(context: StateContext): string[] {
  const file = join(context.root, BOOT_FILE);
  if (!existsSync(file)) return [];
  let text = readFileSync(file, 'utf8');
  const block = findBlock(text);
  if (block) text = text.slice(0, block.start) + text.slice(block.end);
  const found = new Set<string>();
  for (const match of text.matchAll(/`([^`\s]+)`/g)) {
    const candidate = match[1]!.replace(/[),.;:]+$/, '');
    if (looksLikePath(candidate) && /^[\w./-]+$/.test(candidate) && !candidate.startsWith('-')) found.add(candidate);
  }
  return [...found];
}

function branchExists(root: string, branch: string, timeLeft: () => number): boolean {
  for (const ref of [`refs/heads/${branch}`, `refs/remotes/${branch}`]) {
    const result = git(root, ['rev-parse', '--verify', '--quiet', ref], { timeoutMs: timeLeft() });
    if (result.status === 0) return true;
    if (result.status !== 1) return true; // git itself failed: do not claim the branch is missing
  }
  return false;
}

function unknownCommits(root: string, shas: string[], timeLeft: () => number): string[] {
  if (shas.length === 0) return [];
  const result = git(root, ['cat-file', '--batch-check'], { input: shas.map((sha) => `${sha}^{commit}`).join('\n') + '\n', timeoutMs: timeLeft() });
  if (result.status !== 0) return [];
  return result.stdout
    .split('\n')
    .filter((line) => line.endsWith(' missing') || line.endsWith(' ambiguous'))
    .map((line) => line.split(' ')[0]!.replace(/\^\{commit\}$/, ''));
}

/** The pickaxe search (a diff per commit) gets at most this long: it only runs when no trailer names the handoff. */
const PICKAXE_MS = 300;

/**
 * State commits after the commit that recorded the latest handoff, counted in the commit graph
 * (not by time, and not counting the handoff's own commit). The handoff's commit is found by its
 * `Agentstate-Id` trailer (about 55 ms over 5,000 commits), else by the commit that added its id to
 * the state (a pickaxe search, about 1.9 s over the same 5,000 commits, so it is capped); both
 * walk only the commits made since the handoff was written, and the commit found is remembered
 * locally, so later briefings only count. Undefined when it is not committed (yet), not on this
 * branch, or git does not answer in time.
 */
export function commitsSinceHandoff(context: StateContext, handoff: { id: string; at: string }, timeLeft: () => number): number | undefined {
  if (!context.repo) return undefined;
  const root = context.repo.root;
  const state = context.display(context.stateDir);
  const sha = rememberedCommit(context, handoff.id) ?? findHandoffCommit(context, handoff, timeLeft);
  if (!sha || timeLeft() <= 0) return undefined;
  const count = git(root, ['rev-list', '--count', `${sha}..HEAD`, '--', state], { timeoutMs: timeLeft() });
  return count.status === 0 ? Number(count.stdout.trim()) : undefined;
}

function findHandoffCommit(context: StateContext, handoff: { id: string; at: string }, timeLeft: () => number): string | undefined {
  const root = context.repo!.root;
  // A commit is made after its record is written; an hour of slack covers clock differences.
  const since = new Date(Date.parse(handoff.at) - 3600_000).toISOString();
  const searches: Array<[string[], number]> = [
    [['log', '-1', '--format=%H', `--since=${since}`, '--fixed-strings', `--grep=Agentstate-Id: ${handoff.id}`, 'HEAD'], Infinity],
    [['log', '-1', '--format=%H', `--since=${since}`, `-S${handoff.id}`, 'HEAD', '--', context.display(context.stateDir)], PICKAXE_MS],
  ];
  for (const [args, cap] of searches) {
    if (timeLeft() <= 0) return undefined;
    const found = git(root, args, { timeoutMs: Math.min(timeLeft(), cap) });
    const sha = found.status === 0 ? found.stdout.trim() : '';
    if (!sha) continue;
    try {
      writeFileSync(localPath(context, LOCAL_FILES.handoffCommit), `${handoff.id} ${sha}\n`);
    } catch {
      /* a memo only */
    }
    return sha;
  }
  return undefined;
}

function rememberedCommit(context: StateContext, id: string): string | undefined {
  try {
    const [memoId, sha] = readFileSync(localPath(context, LOCAL_FILES.handoffCommit), 'utf8').trim().split(' ');
    return memoId === id && sha && /^[0-9a-f]{40,64}$/.test(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}
