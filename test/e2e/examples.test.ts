import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, baseEnv, cli, cliAsync, git, gitRepo, json, pyYaml, read, stateRepo, tempDir } from '../helpers/cli.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples');
const AGENTSTATE = `"${process.execPath}" "${BIN}"`;

/** A directory with an `agentstate` on it, as a user's PATH would have. */
function pathWithAgentstate(): string {
  const dir = tempDir('bin-');
  writeFileSync(join(dir, 'agentstate'), `#!/bin/sh\nexec ${AGENTSTATE} "$@"\n`);
  chmodSync(join(dir, 'agentstate'), 0o755);
  return `${dir}:${process.env.PATH}`;
}

type Rec = { id: string; type?: string; once?: string; kind?: string };
const records = (dir: string, file: string, key: string) => ((pyYaml(join(dir, '.agentstate', file)) as Record<string, Rec[] | null>)[key] ?? []);
const agentstateCommits = (dir: string) => git(dir, 'log', '--format=%s').split('\n').filter((s) => s.startsWith('agentstate: ') && !s.startsWith('agentstate: init')).length;

describe('the example pipeline', () => {
  it('make -j4, an injected failure, a re-run: every record once, one commit each, check passes', () => {
    const dir = gitRepo();
    cpSync(join(EXAMPLES, 'pipeline'), dir, { recursive: true });
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'pipeline');
    expect(cli(dir, ['init']).code).toBe(0);
    const make = (...args: string[]) => spawnSync('make', ['-j4', `AGENTSTATE=${AGENTSTATE}`, ...args], { cwd: dir, env: baseEnv(), encoding: 'utf8' });

    const failed = make('FAIL=test');
    expect(failed.status).not.toBe(0);
    const rerun = make();
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain('run demo recorded');

    const events = records(dir, 'events.yaml', 'events');
    for (const key of ['lint-demo', 'test-demo', 'build-demo', 'review-demo', 'handoff-demo']) {
      expect(events.filter((event) => event.once === key), key).toHaveLength(1);
    }
    const chain = records(dir, 'decisions.yaml', 'decisions');
    expect(chain.filter((record) => record.once === 'plan-demo')).toHaveLength(1);
    expect(chain.filter((record) => record.once === 'close-demo')).toHaveLength(1);
    const catches = json<{ catches: Array<{ control: string }> }>(cli(dir, ['catches', '--json'])).catches;
    expect(catches.map((row) => row.control)).toEqual(['test']);
    expect(agentstateCommits(dir)).toBe(events.length + chain.length + catches.length);
    expect(cli(dir, ['check']).code).toBe(0);
    expect(read(dir, '.review.txt')).toMatch(/^stub agent read a \d+-byte briefing/);

    const commits = agentstateCommits(dir);
    expect(make().status).toBe(0);
    expect(agentstateCommits(dir)).toBe(commits);
    expect(cli(dir, ['resume']).stdout.split('\n').find((line) => line.startsWith('## '))).toMatch(/^## Latest handoff/);
  });
});

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
    const env = { PATH: pathWithAgentstate() };
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
    const env = { PATH: pathWithAgentstate() };
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
