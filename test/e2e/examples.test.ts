import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseEnv, cli, cliAsync, git, read, stateRepo, tempDir } from '../helpers/cli.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples');

const agentstateCommits = (dir: string) => git(dir, 'log', '--format=%s').split('\n').filter((s) => s.startsWith('agentstate: ') && !s.startsWith('agentstate: init')).length;

describe('--once under concurrency', () => {
  it.each([
    ['log', ['log', 'same step']],
    ['decide', ['decide', 'same plan', '--why', 'once']],
    ['catch', ['catch', 'lint', 'same finding']],
    ['backlog add', ['backlog', 'add', 'same task']],
    ['handoff', ['handoff', '--done', 'same work']],
  ])('%s: four processes with the same key write one record', async (_, args) => {
    const dir = stateRepo();
    const before = agentstateCommits(dir);
    const runs = await Promise.all(Array.from({ length: 4 }, () => cliAsync(dir, [...args, '--once', 'key-1'])));
    expect(runs.map((run) => run.code)).toEqual([0, 0, 0, 0]);
    expect(new Set(runs.map((run) => run.stdout.trim())).size).toBe(1);
    expect(agentstateCommits(dir)).toBe(before + 1);
  });
});

describe('the hook examples', () => {
  function tamper(dir: string): void {
    writeFileSync(join(dir, '.agentstate/events.yaml'), read(dir, '.agentstate/events.yaml').replace('"summary":"first"', '"summary":"rewritten"'));
    git(dir, 'add', '.agentstate/events.yaml');
  }

  function commitWith(dir: string, env: Record<string, string>, message: string) {
    return spawnSync('git', ['commit', '-q', '-m', message], { cwd: dir, env: baseEnv(env), encoding: 'utf8' });
  }

  it('the plain hook passes a clean commit and blocks tampered state', () => {
    const dir = stateRepo();
    cli(dir, ['log', 'first']);
    copyFileSync(join(EXAMPLES, 'hooks/plain/pre-commit'), join(dir, '.git/hooks/pre-commit'));
    chmodSync(join(dir, '.git/hooks/pre-commit'), 0o755);
    const env = {}; // `agentstate` is on PATH (test/helpers/setup-path.ts), as after a global install
    writeFileSync(join(dir, 'work.txt'), 'work\n');
    git(dir, 'add', 'work.txt');
    expect(commitWith(dir, env, 'clean').status).toBe(0);
    tamper(dir);
    const blocked = commitWith(dir, env, 'tampered');
    expect(blocked.status).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toMatch(/events\.yaml:\d+: record ev-\w+ was changed/);
  });

  it('husky from npm runs the husky example and blocks tampered state', () => {
    const dir = stateRepo();
    cli(dir, ['log', 'first']);
    const husky = spawnSync(process.execPath, [resolve(import.meta.dirname, '../../node_modules/husky/bin.js')], { cwd: dir, env: baseEnv(), encoding: 'utf8' });
    expect(husky.status, husky.stderr + husky.stdout).toBe(0);
    mkdirSync(join(dir, '.husky'), { recursive: true });
    copyFileSync(join(EXAMPLES, 'hooks/husky/pre-commit'), join(dir, '.husky/pre-commit'));
    const env = {}; // `agentstate` is on PATH (test/helpers/setup-path.ts), as after a global install
    git(dir, 'add', '.husky/pre-commit');
    expect(commitWith(dir, env, 'add husky hook').status).toBe(0);
    tamper(dir);
    const blocked = commitWith(dir, env, 'tampered');
    expect(blocked.status).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toMatch(/was changed since the last commit/);
  });
});

describe('help', () => {
  it('every command says what it does and shows an example', () => {
    const dir = tempDir();
    const top = cli(dir, ['--help']);
    expect(top.code).toBe(0);
    const listing = top.stdout.slice(top.stdout.indexOf('Commands:'));
    const commands = [...listing.matchAll(/^ {2}([a-z-]+)(?: \[options\]| <| \[|$| {2})/gm)].map((match) => match[1]!).filter((name) => name !== 'help');
    expect(commands.length).toBeGreaterThan(20);
    const groups: Record<string, string[]> = { backlog: ['add', 'list', 'show', 'update', 'claim', 'next'], state: ['get', 'set', 'unset'] };
    for (const command of commands) {
      for (const sub of groups[command] ?? ['']) {
        const args = sub ? [command, sub, '--help'] : [command, '--help'];
        const help = cli(dir, args);
        expect(help.code, args.join(' ')).toBe(0);
        expect(help.stdout, args.join(' ')).toMatch(/Examples:\n {2}\$ /);
      }
    }
  });
});
