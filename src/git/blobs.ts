import { spawnSync } from 'node:child_process';
import { cleanGitEnv, git } from './run.js';

/**
 * Read many files of one tree (HEAD, the index, any revision) with one `git cat-file --batch`.
 * `rev` is a revision, or '' for the index (`:path`). `indexFile` reads a hook's temporary index.
 */
export function readTreeFiles(root: string, rev: string, prefixes: string[], indexFile?: string): Map<string, Buffer> {
  const env: Record<string, string> = indexFile ? { GIT_INDEX_FILE: indexFile } : {};
  const listed =
    rev === ''
      ? spawnGit(root, ['ls-files', '-z', '--', ...prefixes], env)
      : spawnGit(root, ['ls-tree', '-r', '-z', '--name-only', rev, '--', ...prefixes], env);
  if (listed.status !== 0) return new Map();
  const paths = listed.stdout.toString('utf8').split('\0').filter(Boolean);
  if (paths.length === 0) return new Map();
  const batch = spawnGit(root, ['cat-file', '--batch'], env, paths.map((path) => `${rev}:${path}`).join('\n') + '\n');
  const files = new Map<string, Buffer>();
  let at = 0;
  for (const path of paths) {
    const headerEnd = batch.stdout.indexOf(0x0a, at);
    if (headerEnd < 0) break;
    const header = batch.stdout.subarray(at, headerEnd).toString('utf8');
    const size = Number(header.split(' ')[2]);
    if (header.endsWith(' missing') || !Number.isFinite(size)) {
      at = headerEnd + 1;
      continue;
    }
    files.set(path, batch.stdout.subarray(headerEnd + 1, headerEnd + 1 + size));
    at = headerEnd + 1 + size + 1;
  }
  return files;
}

function spawnGit(root: string, args: string[], extra: Record<string, string>, input?: string) {
  const env = cleanGitEnv();
  Object.assign(env, extra);
  const result = spawnSync('git', args, { cwd: root, env, input, maxBuffer: 1024 * 1024 * 1024 });
  return { status: result.status ?? 1, stdout: result.stdout ?? Buffer.alloc(0) };
}

/** True when the repository has a commit at HEAD. */
export const hasHead = (root: string) => git(root, ['rev-parse', '--verify', '--quiet', 'HEAD']).status === 0;

/** Objects by id, with one `git cat-file --batch` (missing ones are left out). */
export function readObjects(root: string, ids: string[]): Map<string, Buffer> {
  const objects = new Map<string, Buffer>();
  if (ids.length === 0) return objects;
  const batch = spawnGit(root, ['cat-file', '--batch'], {}, ids.join('\n') + '\n');
  let at = 0;
  for (const id of ids) {
    const headerEnd = batch.stdout.indexOf(0x0a, at);
    if (headerEnd < 0) break;
    const size = Number(batch.stdout.subarray(at, headerEnd).toString('utf8').split(' ')[2]);
    if (!Number.isFinite(size)) {
      at = headerEnd + 1;
      continue;
    }
    objects.set(id, batch.stdout.subarray(headerEnd + 1, headerEnd + 1 + size));
    at = headerEnd + 1 + size + 1;
  }
  return objects;
}

/** Object sizes by id, with one `git cat-file --batch-check` (no content read). */
export function objectSizes(root: string, ids: string[]): Map<string, number> {
  const sizes = new Map<string, number>();
  if (ids.length === 0) return sizes;
  const checked = spawnGit(root, ['cat-file', '--batch-check'], {}, ids.join('\n') + '\n');
  for (const line of checked.stdout.toString('utf8').split('\n')) {
    const [id, , size] = line.split(' ');
    if (id && size && /^\d+$/.test(size)) sizes.set(id, Number(size));
  }
  return sizes;
}

/** A git command against the index a hook was given (GIT_INDEX_FILE), or the usual one. */
export function gitWithIndex(root: string, args: string[], indexFile?: string): { status: number; stdout: string } {
  const result = spawnGit(root, args, indexFile ? { GIT_INDEX_FILE: indexFile } : {});
  return { status: result.status, stdout: result.stdout.toString('utf8') };
}
