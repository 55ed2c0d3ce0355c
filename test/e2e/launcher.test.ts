import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseEnv, cli, git, gitRepo, stateRepo, tempDir } from '../helpers/cli.js';
import { installGlobal, installInProject, nodeDir, pathWithout } from '../helpers/package.js';

type Env = { PATH: string };
const EVENTS = '.agentstate/events.yaml';

function sh(cwd: string, env: Env, command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd, env: baseEnv(env), encoding: 'utf8' });
  return { code: result.status ?? -1, out: `${result.stdout}${result.stderr}` };
}

function ok(cwd: string, env: Env, command: string, args: string[]): string {
  const result = sh(cwd, env, command, args);
  expect(result.code, `${command} ${args.join(' ')}: ${result.out}`).toBe(0);
  return result.out;
}

/** State on two branches that both logged, so that merging them runs the log driver. */
function diverge(dir: string, env: Env, agentstate: string): void {
  ok(dir, env, agentstate, ['log', 'base']);
  git(dir, 'checkout', '-q', '-b', 'side');
  ok(dir, env, agentstate, ['log', 'on side']);
  git(dir, 'checkout', '-q', 'main');
  ok(dir, env, agentstate, ['log', 'on main']);
}

/** What git runs for us: the merge drivers and the pre-commit hook. */
const installed = (dir: string) => git(dir, 'config', '--get-regexp', '^merge\\.agentstate-') + readFileSync(join(dir, '.git/hooks/pre-commit'), 'utf8');

/** After the machine changed: the merge runs our driver, the hook blocks a rewrite and passes a clean commit. */
function stillWorks(dir: string, env: Env): void {
  ok(dir, env, 'git', ['merge', '-q', '--no-edit', 'side']);
  const events = readFileSync(join(dir, EVENTS), 'utf8');
  for (const summary of ['base', 'on side', 'on main']) expect(events).toContain(`"summary":"${summary}"`);
  expect(events).not.toMatch(/^(<<<<<<<|=======|>>>>>>>)/m);

  writeFileSync(join(dir, EVENTS), events.replace('"summary":"base"', '"summary":"rewritten"'));
  git(dir, 'add', EVENTS);
  const blocked = sh(dir, env, 'git', ['commit', '-q', '-m', 'tampered']);
  expect(blocked.code).not.toBe(0);
  expect(blocked.out).toMatch(/record ev-\w+ was changed since the last commit/);
  git(dir, 'checkout', '-q', 'HEAD', '--', EVENTS);
  writeFileSync(join(dir, 'work.txt'), 'work\n');
  git(dir, 'add', 'work.txt');
  ok(dir, env, 'git', ['commit', '-q', '-m', 'clean work']);
}

describe('hooks and merge drivers resolve agentstate when they run', () => {
  it('installed in the project: after the node that installed them is gone, another node on PATH runs them', () => {
    const dir = gitRepo();
    installInProject(dir);
    writeFileSync(join(dir, '.gitignore'), 'node_modules/\n');
    git(dir, 'add', '.gitignore', 'package.json');
    git(dir, 'commit', '-q', '-m', 'project');
    const first = nodeDir();
    const before = { PATH: pathWithout(first) };
    const agentstate = join(dir, 'node_modules/.bin/agentstate');
    ok(dir, before, join(first, 'node'), [agentstate, 'init']);
    ok(dir, before, join(first, 'node'), [agentstate, 'hooks', 'install']);
    diverge(dir, before, agentstate);
    expect(installed(dir)).not.toContain(first);
    expect(installed(dir)).not.toContain(join(dir, 'node_modules'));

    rmSync(first, { recursive: true, force: true }); // an nvm switch: the old node is gone
    stillWorks(dir, { PATH: pathWithout(nodeDir()) });
  });

  it('installed globally: after the install moved, the one on PATH runs them', () => {
    const prefix = tempDir('prefix-');
    const { bin } = installGlobal(prefix, { ignoreScripts: true });
    const env = { PATH: pathWithout(bin) };
    const dir = gitRepo();
    ok(dir, env, 'agentstate', ['init']);
    ok(dir, env, 'agentstate', ['hooks', 'install']);
    diverge(dir, env, 'agentstate');
    expect(installed(dir)).not.toContain(prefix);

    const moved = `${prefix}-moved`;
    renameSync(prefix, moved);
    stillWorks(dir, { PATH: pathWithout(join(moved, 'bin')) });
    rmSync(moved, { recursive: true, force: true });
  });

  it('with agentstate installed nowhere, the hook stops the commit with one line saying how to install it', () => {
    const dir = stateRepo();
    expect(cli(dir, ['hooks', 'install']).code).toBe(0);
    const nowhere = { PATH: pathWithout() };
    writeFileSync(join(dir, 'work.txt'), 'work\n');
    git(dir, 'add', 'work.txt');
    const commit = sh(dir, nowhere, 'git', ['commit', '-q', '-m', 'work']);
    expect(commit.code).not.toBe(0);
    expect(commit.out.trim()).toBe('agentstate: not installed here; npm i -D agentstate-cli (or npm i -g agentstate-cli)');
  });
});
