import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseEnv, cli, git, gitRepo, read, stateRepo } from '../helpers/cli.js';
import { commit, expectHooksWork, hooksInstall, recordingPath, USER_HOOK } from '../helpers/hook-flow.js';
import { npmTool } from '../helpers/package.js';

const HUSKY = resolve(import.meta.dirname, '../../node_modules/husky/bin.js');
const LEFTHOOK = 'lefthook@2.2.2';

function seeded(): string {
  const dir = stateRepo();
  expect(cli(dir, ['log', 'first']).code).toBe(0);
  return dir;
}

/** Every file under a folder with its bytes, to prove a manager's own files were left alone. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir)) files[name] = readFileSync(join(dir, name), 'latin1');
  return files;
}

describe('hooks install with a hook manager', () => {
  it('husky 9: one line in .husky/<hook>, husky\'s own files untouched; the user hook still blocks', () => {
    const dir = seeded();
    const husky = spawnSync(process.execPath, [HUSKY], { cwd: dir, env: baseEnv(), encoding: 'utf8' });
    expect(husky.status, husky.stderr + husky.stdout).toBe(0);
    expect(git(dir, 'config', 'core.hooksPath').trim()).toBe('.husky/_');
    writeFileSync(join(dir, '.husky/pre-commit'), `${USER_HOOK}\n`);
    const own = snapshot(join(dir, '.husky/_'));
    const env = recordingPath();

    const install = hooksInstall(dir, env);
    expect(install.manager).toBe('husky');
    expect(install.hooks.map((hook) => [hook.hook, hook.status])).toEqual([
      ['pre-commit', 'added'],
      ['post-merge', 'installed'],
      ['post-rewrite', 'installed'],
    ]);
    expect(snapshot(join(dir, '.husky/_'))).toEqual(own);
    const hook = read(dir, '.husky/pre-commit');
    expect(hook.startsWith(`${USER_HOOK}\n`)).toBe(true);
    expect(hook.split('\n').filter((line) => line.includes('agentstate check --staged'))).toHaveLength(1);
    hooksInstall(dir, env);
    expect(read(dir, '.husky/pre-commit')).toBe(hook);
    git(dir, 'add', '.husky');
    expect(commit(dir, env, 'husky hooks').code).toBe(0);

    expectHooksWork(dir, env);
  });

  it('lefthook: an entry per hook inserted into lefthook.yml as text, lefthook\'s install run; the user hook still blocks', () => {
    const dir = seeded();
    const bin = npmTool(LEFTHOOK);
    const original = [
      '# the team\'s hooks',
      'pre-commit:',
      '  parallel: true',
      '  commands:',
      '    guard:',
      `      run: '${USER_HOOK}'   # keep this comment`,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'lefthook.yml'), original);
    const env = recordingPath([bin]);
    const lefthook = spawnSync('lefthook', ['install'], { cwd: dir, env: baseEnv(env), encoding: 'utf8' });
    expect(lefthook.status, lefthook.stderr + lefthook.stdout).toBe(0);

    const install = hooksInstall(dir, env);
    expect(install.manager).toBe('lefthook');
    expect(install.hooks.map((hook) => hook.status)).toEqual(['added', 'added', 'added']);
    expect(install.ran).toBe('lefthook install');
    const config = read(dir, 'lefthook.yml');
    expect(config.startsWith(original)).toBe(true);
    expect(config).toMatch(/^ {4}agentstate-check:\n {6}run: "sh -c '.*' agentstate check --staged"$/m);
    expect(config).toMatch(/^post-merge:\n {2}commands:\n {4}agentstate-boot:\n {6}run: "sh -c '.*' agentstate boot --quiet"$/m);
    expect(read(dir, '.git/hooks/pre-commit')).toMatch(/lefthook/);
    hooksInstall(dir, env);
    expect(read(dir, 'lefthook.yml')).toBe(config);
    git(dir, 'add', 'lefthook.yml');
    expect(commit(dir, env, 'lefthook config').code).toBe(0);

    expectHooksWork(dir, env);
  });

  it('plain git hooks: the user\'s hook is chained and still runs first', () => {
    const dir = seeded();
    const mine = join(dir, '.git/hooks/pre-commit');
    writeFileSync(mine, `#!/bin/sh\n${USER_HOOK}\n`);
    chmodSync(mine, 0o755);
    const env = recordingPath();
    const install = hooksInstall(dir, env);
    expect(install.manager).toBe('git');
    expect(install.hooks.map((hook) => hook.status)).toEqual(['installed', 'installed', 'installed']);
    expect(existsSync(join(dir, '.git/hooks/pre-commit.agentstate-chained'))).toBe(true);
    expectHooksWork(dir, env);
  });

  it('a core.hooksPath folder of the user\'s: their hook is not renamed; the line to add is printed, exit 0', () => {
    const dir = seeded();
    mkdirSync(join(dir, '.githooks'));
    writeFileSync(join(dir, '.githooks/pre-commit'), `#!/bin/sh\n${USER_HOOK}\n`);
    chmodSync(join(dir, '.githooks/pre-commit'), 0o755);
    git(dir, 'config', 'core.hooksPath', '.githooks');
    const before = read(dir, '.githooks/pre-commit');
    const run = cli(dir, ['hooks', 'install']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/pre-commit: not changed: .*\.githooks\/pre-commit is yours; add the line to it/);
    expect(run.stdout).toMatch(/^ {2}sh -c '.*' agentstate check --staged$/m);
    expect(read(dir, '.githooks/pre-commit')).toBe(before);
    expect(readdirSync(join(dir, '.githooks')).sort()).toEqual(['post-merge', 'post-rewrite', 'pre-commit']);
  });

  it('a lefthook.yml it cannot edit safely is left byte-identical, with the snippet printed', () => {
    const dir = seeded();
    const flow = '{pre-commit: {commands: {lint: {run: "npm run lint"}}}}\n';
    writeFileSync(join(dir, 'lefthook.yml'), flow);
    const install = hooksInstall(dir);
    expect(install.hooks.every((hook) => hook.status === 'manual' && hook.snippet?.includes('agentstate '))).toBe(true);
    expect(read(dir, 'lefthook.yml')).toBe(flow);
  });
});

describe('check --staged where agentstate is not used', () => {
  it('exits 0 in a repository without .agentstate/, so a shared hook never blocks it', () => {
    const dir = gitRepo();
    writeFileSync(join(dir, 'work.txt'), 'work\n');
    git(dir, 'add', 'work.txt');
    const run = cli(dir, ['check', '--staged']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/nothing to check/);
  });
});
