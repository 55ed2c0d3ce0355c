import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, commitCount, filesOf, git, read, stateRepo, tempDir } from '../helpers/cli.js';

type Env = Record<string, string>;

function setMode(dir: string, mode: string, window = '10m'): void {
  const config = read(dir, '.agentstate/config.yaml').replace(/commit: each/, `commit: ${mode}`).replace('squash_window: 10m', `squash_window: ${window}`);
  writeFileSync(join(dir, '.agentstate/config.yaml'), config);
  git(dir, 'commit', '-qam', `mode ${mode}`);
}

/** 15 state changes of every kind; returns the ids written. */
function burst(dir: string, tag: string, env: Env = {}): string[] {
  const ids: string[] = [];
  const run = (...args: string[]) => {
    const result = cli(dir, [...args], env);
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result.stdout.trim();
  };
  for (let i = 0; i < 3; i++) {
    ids.push(run('log', `${tag} event ${i}`, '-q'));
    const decision = run('decide', `${tag} decision ${i}`, '--why', 'w', '-q');
    ids.push(decision, run('outcome', decision, 'done', '-q'));
    ids.push(run('backlog', 'add', `${tag} task ${i}`, '-q'));
    run('state', 'set', `${tag}.step=${i}`);
  }
  return ids;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('commit modes', () => {
  it('each: a 30-change session adds 30 commits', async () => {
    const dir = stateRepo();
    const before = commitCount(dir);
    burst(dir, 'a');
    burst(dir, 'b');
    expect(commitCount(dir) - before).toBe(30);
    expect(cli(dir, ['resume']).stdout).toMatch(/^Commit mode: each\.$/m);
  });

  it('squash: two bursts separated by more than the window add 2 commits, each holding only state paths, every record in HEAD', async () => {
    const dir = stateRepo();
    setMode(dir, 'squash', '5s');
    writeFileSync(join(dir, 'README.md'), '# staged by the user\n');
    git(dir, 'add', 'README.md');
    const before = commitCount(dir);
    const ids = burst(dir, 'a');
    await sleep(6000);
    ids.push(...burst(dir, 'b'));
    expect(commitCount(dir) - before).toBeLessThanOrEqual(3);
    expect(commitCount(dir) - before).toBeGreaterThanOrEqual(2);
    for (const rev of ['HEAD', 'HEAD~1']) expect(filesOf(dir, rev).every((path) => path.startsWith('.agentstate/') || path === 'AGENTS.md')).toBe(true);
    const head = ['events.yaml', 'decisions.yaml', 'backlog.yaml'].map((name) => git(dir, 'show', `HEAD:.agentstate/${name}`)).join('');
    for (const id of ids) expect(head).toContain(id);
    const subjects = git(dir, 'log', `-${commitCount(dir) - before}`, '--format=%s').trim().split('\n');
    expect(subjects.every((subject) => /^agentstate: \d+ changes \(log, decide, outcome, backlog add, state set\)$/.test(subject)), subjects.join('; ')).toBe(true);
    expect(subjects.reduce((sum, subject) => sum + Number(/(\d+) changes/.exec(subject)![1]), 0)).toBe(30);
    expect(git(dir, 'diff', '--cached', '--name-only').trim()).toBe('README.md');
    expect(cli(dir, ['check']).code).toBe(0);
  });

  it('squash never amends a pushed, tagged or foreign commit', () => {
    const dir = stateRepo();
    setMode(dir, 'squash');
    const remote = tempDir();
    git(remote, 'init', '-q', '--bare');
    git(dir, 'remote', 'add', 'origin', remote);
    cli(dir, ['log', 'first']);
    git(dir, 'push', '-q', 'origin', 'main');
    let count = commitCount(dir);
    cli(dir, ['log', 'after the push']);
    expect(commitCount(dir)).toBe(++count);
    git(dir, 'tag', 'v1');
    cli(dir, ['log', 'after the tag']);
    expect(commitCount(dir)).toBe(++count);
    writeFileSync(join(dir, 'code.ts'), 'x\n');
    git(dir, 'add', 'code.ts');
    git(dir, 'commit', '-qm', 'user code');
    count++;
    cli(dir, ['log', 'after a user commit']);
    expect(commitCount(dir)).toBe(++count);
    cli(dir, ['log', 'squashed into the previous one']);
    expect(commitCount(dir)).toBe(count);
    expect(git(dir, 'show', '--format=', '--name-only', 'HEAD~1').trim()).toBe('code.ts');
  });

  it('with-code: no commit of ours; the installed pre-commit step adds all 30 changes to the user\'s next commit', () => {
    const dir = stateRepo();
    setMode(dir, 'with-code');
    expect(cli(dir, ['hooks', 'install']).code).toBe(0);
    const before = commitCount(dir);
    const ids = [...burst(dir, 'a'), ...burst(dir, 'b')];
    expect(commitCount(dir)).toBe(before);
    expect(cli(dir, ['resume']).stdout).toMatch(/^Commit mode: with-code; 30 change\(s\) in 6 state file\(s\) join your next commit\.$/m);
    expect(cli(dir, ['doctor']).stdout).toMatch(/ok {3}commit mode: with-code: 30 change\(s\) in 6 state file\(s\) join your next commit/);
    writeFileSync(join(dir, 'feature.ts'), 'export const feature = 1;\n');
    git(dir, 'add', 'feature.ts');
    git(dir, 'commit', '-qm', 'feature with its state');
    expect(commitCount(dir)).toBe(before + 1);
    const files = filesOf(dir);
    expect(files).toContain('feature.ts');
    expect(files).toEqual(expect.arrayContaining(['.agentstate/events.yaml', '.agentstate/decisions.yaml', '.agentstate/backlog.yaml', '.agentstate/runtime.json', 'AGENTS.md']));
    const head = ['events.yaml', 'decisions.yaml', 'backlog.yaml'].map((name) => git(dir, 'show', `HEAD:.agentstate/${name}`)).join('');
    for (const id of ids) expect(head).toContain(id);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(cli(dir, ['resume']).stdout).toMatch(/^Commit mode: with-code\.$/m);
  });

  it('with-code: handoff and agentstate commit record what is pending', () => {
    const dir = stateRepo();
    setMode(dir, 'with-code');
    const before = commitCount(dir);
    const id = cli(dir, ['log', 'pending', '-q']).stdout.trim();
    expect(commitCount(dir)).toBe(before);
    expect(cli(dir, ['handoff', '--done', 'x']).code).toBe(0);
    expect(commitCount(dir)).toBe(before + 1);
    expect(git(dir, 'show', 'HEAD:.agentstate/events.yaml')).toContain(id);
  });

  it('AGENTSTATE_COMMIT overrides the config for one command; an unknown mode is exit 2 and writes nothing', () => {
    const dir = stateRepo();
    const before = commitCount(dir);
    expect(cli(dir, ['log', 'not committed'], { AGENTSTATE_COMMIT: 'with-code' }).code).toBe(0);
    expect(commitCount(dir)).toBe(before);
    const events = read(dir, '.agentstate/events.yaml');
    const bad = cli(dir, ['log', 'x'], { AGENTSTATE_COMMIT: 'sometimes' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/AGENTSTATE_COMMIT/);
    expect(read(dir, '.agentstate/events.yaml')).toBe(events);
  });
});
