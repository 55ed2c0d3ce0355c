import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Repo } from './repo.js';

/**
 * A `.git/index.lock` left by a git process that was killed: every later git command (and every
 * commit of ours) would wait and fail on it. It is orphaned when no running git process works in
 * this repository (found through /proc on Linux) and it is a few seconds old; where /proc is not
 * there, only an old lock (10 minutes) counts as orphaned.
 */
export interface IndexLockState {
  path: string;
  ageMs: number;
  /** Running git processes in this repository (pids). */
  holders: number[];
  orphaned: boolean;
}

export function indexLockState(repo: Repo, now = Date.now()): IndexLockState | undefined {
  const path = join(repo.gitDir, 'index.lock');
  let ageMs: number;
  try {
    ageMs = now - statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
  const procs = existsSync('/proc/self/stat');
  const holders = procs ? gitProcessesIn(repo) : [];
  return { path, ageMs, holders, orphaned: holders.length === 0 && ageMs > (procs ? 2_000 : 600_000) };
}

export function removeIndexLock(state: IndexLockState): void {
  rmSync(state.path, { force: true });
}

function gitProcessesIn(repo: Repo): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const command = readFileSync(`/proc/${name}/comm`, 'utf8').trim();
      if (!command.startsWith('git')) continue;
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      if ([repo.root, repo.gitDir, repo.commonDir].some((dir) => cwd === dir || cwd.startsWith(`${dir}/`))) found.push(Number(name));
    } catch {
      /* gone meanwhile, or not ours to read */
    }
  }
  return found;
}
