import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { expect } from 'vitest';
import { baseEnv, cli, git, read, tempDir } from './cli.js';

/**
 * What every hook manager must still do after `agentstate hooks install`: the user's own failing
 * hook blocks the commit, a tampered log is blocked, a clean commit passes, and the post-merge
 * and post-rewrite hooks run `agentstate boot --quiet`.
 */
export const USER_HOOK = '[ ! -e .block ] || { echo "user hook: blocked"; exit 1; }';
export const EVENTS = '.agentstate/events.yaml';

export type Env = Record<string, string>;

export function commit(dir: string, env: Env, message: string) {
  const result = spawnSync('git', ['commit', '-q', '-m', message], { cwd: dir, env: baseEnv(env), encoding: 'utf8' });
  return { code: result.status ?? -1, out: `${result.stdout}${result.stderr}` };
}

/** PATH with an `agentstate` that notes its arguments in `calls` before running the real one. */
export function recordingPath(extra: string[] = []): { PATH: string; calls: string } {
  const dir = tempDir('recording-');
  const calls = join(dir, 'calls.txt');
  const real = spawnSync('sh', ['-c', 'command -v agentstate'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(join(dir, 'agentstate'), `#!/bin/sh\necho "$*" >> "${calls}"\nexec "${real}" "$@"\n`);
  chmodSync(join(dir, 'agentstate'), 0o755);
  writeFileSync(calls, '');
  return { PATH: [dir, ...extra, process.env.PATH ?? ''].join(delimiter), calls };
}

export function expectHooksWork(dir: string, env: Env & { calls: string }): void {
  writeFileSync(join(dir, 'work.txt'), 'clean\n');
  git(dir, 'add', 'work.txt');
  const clean = commit(dir, env, 'clean commit');
  expect(clean.code, clean.out).toBe(0);

  writeFileSync(join(dir, '.block'), '');
  writeFileSync(join(dir, 'work.txt'), 'blocked by the user hook\n');
  git(dir, 'add', 'work.txt');
  const user = commit(dir, env, 'the user hook says no');
  expect(user.code, user.out).not.toBe(0);
  expect(user.out).toContain('user hook: blocked');
  rmSync(join(dir, '.block'));
  git(dir, 'reset', '-q', 'HEAD', 'work.txt');
  git(dir, 'checkout', '-q', '--', 'work.txt');

  writeFileSync(join(dir, EVENTS), read(dir, EVENTS).replace('"summary":"first"', '"summary":"rewritten"'));
  git(dir, 'add', EVENTS);
  const tampered = commit(dir, env, 'tampered');
  expect(tampered.code, tampered.out).not.toBe(0);
  expect(tampered.out).toMatch(/record ev-\w+ was changed since the last commit/);
  git(dir, 'reset', '-q', 'HEAD', EVENTS);
  git(dir, 'checkout', '-q', '--', EVENTS);
  expect(git(dir, 'log', '-1', '--format=%s').trim()).toBe('clean commit');

  // After a merge and after a rewrite, the derived files are regenerated.
  writeFileSync(env.calls, '');
  git(dir, 'checkout', '-q', '-b', 'side');
  writeFileSync(join(dir, 'side.txt'), 'side\n');
  git(dir, 'add', 'side.txt');
  expect(commit(dir, env, 'side work').code).toBe(0);
  git(dir, 'checkout', '-q', 'main');
  const merge = spawnSync('git', ['merge', '-q', '--no-ff', '--no-edit', 'side'], { cwd: dir, env: baseEnv(env), encoding: 'utf8' });
  expect(merge.status, merge.stderr).toBe(0);
  expect(readFileSync(env.calls, 'utf8')).toContain('boot --quiet');
  writeFileSync(env.calls, '');
  const amend = spawnSync('git', ['commit', '-q', '--amend', '--no-edit', '--no-verify'], { cwd: dir, env: baseEnv(env), encoding: 'utf8' });
  expect(amend.status, amend.stderr).toBe(0);
  expect(readFileSync(env.calls, 'utf8')).toContain('boot --quiet');
}

/** `hooks install` as JSON; exit 0 always, even where it could only print the line to add. */
export function hooksInstall(dir: string, env: Env = {}) {
  const run = cli(dir, ['hooks', 'install', '--json'], env);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { manager: string; hooks: Array<{ hook: string; path: string; status: string; snippet?: string }>; ran?: string; todo?: string };
}
