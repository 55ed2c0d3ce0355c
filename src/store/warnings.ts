import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Snapshot } from '../core/briefing.js';
import { git } from '../git/run.js';
import { BOOT_FILE } from './layout.js';
import { LOCAL_FILES, localDir } from './local.js';
import { findBlock } from './boot-file.js';
import { describeHolder, readHolder, staleReason } from './lock.js';
import type { StateContext } from './context.js';

/**
 * Stale state found by checking, not inferring (SPEC section 6): an old heartbeat, a branch or
 * commit git does not know, a path that does not exist, a boot block older than the state, a
 * lock left by a dead process.
 */
export function verifyState(context: StateContext, snapshot: Snapshot, bootProblem: string | undefined): string[] {
  const warnings: string[] = [];
  const runtime = snapshot.runtime;
  const limitMinutes = context.config.runtime.heartbeat_stale_minutes;
  if (runtime?.heartbeat_at) {
    const minutes = (Date.now() - Date.parse(runtime.heartbeat_at)) / 60000;
    if (minutes > limitMinutes) warnings.push(`runtime heartbeat is ${Math.round(minutes)} minutes old (limit ${limitMinutes}): the last session may have died`);
  }
  const fields = flatten(runtime?.fields ?? {});
  const commits = new Set<string>();
  const branches = new Set<string>();
  const paths = new Map<string, string>();
  for (const [key, value] of fields) {
    if (typeof value !== 'string' || value === '') continue;
    const leaf = key.split('.').pop()!.toLowerCase();
    if (/(^|_)(commit|sha|head)$/.test(leaf) && /^[0-9a-f]{4,40}$/i.test(value)) commits.add(value);
    else if (/(^|_)branch$/.test(leaf)) branches.add(value);
    else if (/(^|_)(path|file|dir|ref)$/.test(leaf) && looksLikePath(value)) paths.set(value, `runtime field ${key}`);
  }
  for (const event of snapshot.recentEvents) {
    if (event.ref && looksLikePath(event.ref)) paths.set(event.ref, `event ${event.id} ref`);
  }
  for (const path of pathsInBootFile(context)) if (!paths.has(path)) paths.set(path, BOOT_FILE);
  for (const [path, where] of paths) {
    if (!existsSync(isAbsolute(path) ? path : join(context.root, path))) warnings.push(`${where} names ${path}, which does not exist`);
  }
  if (context.repo) {
    for (const sha of unknownCommits(context.repo.root, [...commits])) warnings.push(`runtime state names commit ${sha}, which git does not know`);
    for (const branch of branches) {
      if (git(context.repo.root, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]).status !== 0 &&
          git(context.repo.root, ['rev-parse', '--verify', '--quiet', `refs/remotes/${branch}`]).status !== 0) {
        warnings.push(`runtime state names branch ${branch}, which does not exist`);
      }
    }
  }
  if (bootProblem) warnings.push(`${BOOT_FILE}: ${bootProblem}; run \`agentstate boot\``);
  const lock = staleLock(context);
  if (lock) warnings.push(lock);
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

function unknownCommits(root: string, shas: string[]): string[] {
  if (shas.length === 0) return [];
  const result = git(root, ['cat-file', '--batch-check'], { input: shas.map((sha) => `${sha}^{commit}`).join('\n') + '\n' });
  return result.stdout
    .split('\n')
    .filter((line) => line.endsWith(' missing') || line.endsWith(' ambiguous'))
    .map((line) => line.split(' ')[0]!.replace(/\^\{commit\}$/, ''));
}

/** State commits since a time (the latest handoff): how much happened since the last session ended. */
export function stateCommitsSince(context: StateContext, since: string): number | undefined {
  if (!context.repo) return undefined;
  const result = git(context.repo.root, ['rev-list', '--count', `--since=${since}`, 'HEAD', '--', context.display(context.stateDir)]);
  return result.status === 0 ? Number(result.stdout.trim()) : undefined;
}
