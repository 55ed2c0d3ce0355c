import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, git, json, read, stateRepo, tempDir } from '../helpers/cli.js';

const EVENTS = '.agentstate/events.yaml';
const check = (dir: string, ...args: string[]) => cli(dir, ['check', ...args]);

/** A repository whose history holds a record rewritten by hand and committed past the hook. */
function rewritten(): { dir: string; sha: string } {
  const dir = stateRepo();
  for (const summary of ['one', 'two']) expect(cli(dir, ['log', summary]).code).toBe(0);
  writeFileSync(join(dir, EVENTS), read(dir, EVENTS).replace('"summary":"one"', '"summary":"ONE"'));
  git(dir, 'commit', '-q', '--no-verify', '-am', 'fix a typo by hand');
  const sha = git(dir, 'rev-parse', 'HEAD').trim();
  expect(cli(dir, ['log', 'three']).code).toBe(0);
  return { dir, sha };
}

const freshClone = (origin: string) => {
  const dir = tempDir('clone-');
  git(dir, 'clone', '-q', '--no-local', origin, '.');
  return dir;
};

describe('check walks the history in a fresh clone (CI)', () => {
  it('catches a record rewritten in an old commit; the finding names the commit and the way to accept it', () => {
    const { dir: origin, sha } = rewritten();
    const clone = freshClone(origin);
    const run = check(clone);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^\\.agentstate/events\\.yaml: commit ${sha.slice(0, 7)} changed record ev-\\w+ \\(append-only\\); if that was on purpose: agentstate check --accept ${sha.slice(0, 7)} --why "<reason>"$`, 'm'));
    expect(check(clone).code, 'a failing check leaves the check point where it was').toBe(1);
    expect(cli(clone, ['doctor']).stdout).toMatch(new RegExp(`FAIL history: unacknowledged rewrites: ${sha.slice(0, 7)} changed ev-\\w+`));
  });

  it('says so when the clone is shallow (its history cannot be walked)', () => {
    const { dir: origin } = rewritten();
    const shallow = tempDir('shallow-');
    git(shallow, 'clone', '-q', '--depth', '1', `file://${origin}`, '.');
    expect(check(shallow).stderr).toMatch(/warning: this clone is shallow: .*fetch-depth: 0/);
  });

  it('--since <rev> walks only the commits after it', () => {
    const { dir, sha } = rewritten();
    expect(check(dir, '--since', sha).code).toBe(0);
    expect(check(dir, '--since', `${sha}~1`).code).toBe(1);
    const bad = check(dir, '--since', 'no-such-branch');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--since: no commit "no-such-branch"/);
  });

  it('--accept <commit> --why records who accepted it; check passes after it, in every clone', () => {
    const { dir: origin, sha } = rewritten();
    expect(check(origin, '--accept', sha.slice(0, 7)).code).toBe(2);
    const accepted = cli(origin, ['check', '--accept', sha.slice(0, 7), '--why', 'a typo fixed on purpose', '--agent', 'reviewer', '--json']);
    expect(accepted.code, accepted.stderr).toBe(0);
    const event = json<{ events: Array<Record<string, unknown>> }>(cli(origin, ['events', '--type', 'accept', '--json'])).events[0]!;
    expect(event).toMatchObject({ type: 'accept', commit: sha, agent: 'reviewer', summary: 'a typo fixed on purpose' });
    expect(git(origin, 'log', '-1', '--format=%s').trim()).toMatch(/^agentstate: check --accept rewrite in [0-9a-f]{7}/);
    expect(check(origin).code).toBe(0);
    const clone = freshClone(origin);
    expect(check(clone).code).toBe(0);
    expect(cli(clone, ['doctor']).stdout).toMatch(/ok {3}history: no unacknowledged rewrite of a record \(1 accepted\)/);
    expect(check(origin, '--accept', 'HEAD', '--why', 'nothing there').code).toBe(2);
  });

  it('a merge that dropped a record is caught as well (merges are walked against each parent)', () => {
    const dir = stateRepo();
    expect(cli(dir, ['log', 'base']).code).toBe(0);
    git(dir, 'checkout', '-q', '-b', 'side');
    expect(cli(dir, ['log', 'only on side']).code).toBe(0);
    git(dir, 'checkout', '-q', 'main');
    expect(cli(dir, ['log', 'only on main']).code).toBe(0);
    git(dir, 'merge', '-q', '--no-edit', '-s', 'ours', 'side'); // keeps main's files: the side's record is gone
    const run = check(freshClone(dir));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/events\.yaml: merge [0-9a-f]{7} dropped record ev-\w+ that a parent held/);
  });
});

/** Two clones of one origin with the merge drivers registered. */
function clones(): { origin: string; a: string; b: string } {
  const origin = tempDir('origin-');
  git(origin, 'init', '-q', '--bare', '-b', 'main');
  const a = stateRepo();
  git(a, 'remote', 'add', 'origin', origin);
  git(a, 'push', '-q', '-u', 'origin', 'main');
  const b = tempDir('b-');
  git(b, 'clone', '-q', origin, '.');
  git(b, 'config', 'user.name', 'B');
  git(b, 'config', 'user.email', 'b@example.com');
  expect(cli(b, ['hooks', 'install']).code).toBe(0);
  expect(cli(a, ['hooks', 'install']).code).toBe(0);
  return { origin, a, b };
}

const pull = (dir: string, ...args: string[]) => spawnSync('git', ['pull', '-q', '--no-edit', ...(args.length ? args : ['--no-rebase']), 'origin', 'main'], { cwd: dir, encoding: 'utf8' });

describe('merged history is valid history', () => {
  it('a commit that writes the same records in another order is not a finding; one that changes a record is', () => {
    const dir = stateRepo();
    for (const summary of ['a', 'b', 'c']) expect(cli(dir, ['log', summary]).code).toBe(0);
    expect(check(dir).code).toBe(0); // a check point: the next run walks the commits after it
    const lines = read(dir, EVENTS).split('\n');
    const [b, c] = [lines.findIndex((line) => line.includes('"summary":"b"')), lines.findIndex((line) => line.includes('"summary":"c"'))];
    [lines[b], lines[c]] = [lines[c]!, lines[b]!];
    writeFileSync(join(dir, EVENTS), lines.join('\n'));
    git(dir, 'commit', '-q', '--no-verify', '-am', 'the order a merge driver may write');
    expect(cli(dir, ['log', 'd']).code).toBe(0);
    const run = check(dir);
    expect(run.code, run.stdout).toBe(0);
    expect(check(freshClone(dir)).code).toBe(0);
    writeFileSync(join(dir, EVENTS), read(dir, EVENTS).replace('"summary":"c"', '"summary":"C"'));
    git(dir, 'commit', '-q', '--no-verify', '-am', 'a change in the same place');
    expect(check(dir).stdout).toMatch(/commit [0-9a-f]{7} changed record ev-\w+/);
  });

  it('pull --rebase that writes the records in another order is not a finding (append-only by id and content)', () => {
    const { a, b } = clones();
    expect(check(b).code).toBe(0); // a check point before the rebase
    expect(cli(b, ['log', 'earlier, on b']).code).toBe(0);
    expect(cli(a, ['log', 'later, on a']).code).toBe(0);
    git(a, 'push', '-q', 'origin', 'main');
    const rebased = pull(b, '--rebase');
    expect(rebased.status, rebased.stderr).toBe(0);
    const order = read(b, EVENTS).split('\n').filter((line) => line.startsWith('- {')).map((line) => /"summary":"([^"]+)"/.exec(line)![1]);
    expect(order.slice(-2)).toEqual(['earlier, on b', 'later, on a']); // the replayed commit moved a's record below b's
    const run = check(b);
    expect(run.code, run.stdout).toBe(0);
    expect(check(freshClone(b)).code).toBe(0);
  });

  it('a decision closed on two clones: the earliest outcome counts, the other is shown beside it; check warns, commits pass', () => {
    const { a, b } = clones();
    const id = cli(a, ['decide', 'ship it', '--why', 'ready', '--quiet']).stdout.trim();
    git(a, 'push', '-q', 'origin', 'main');
    expect(pull(b).status).toBe(0);
    expect(cli(a, ['outcome', id, 'done', '--agent', 'alice']).code).toBe(0);
    expect(cli(b, ['outcome', id, 'failed', '--agent', 'bob']).code).toBe(0);
    git(a, 'push', '-q', 'origin', 'main');
    expect(pull(b).status).toBe(0);
    const run = check(b);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`decisions\\.yaml: warning: ${id} was closed more than once \\(merged from clones\\): d-\\w+ \\(done, alice, .+\\) counts; also d-\\w+ \\(failed, bob, .+\\)`));
    const decision = json<{ decisions: Array<{ id: string; status: string; also: Array<{ status: string; agent: string }> }> }>(cli(b, ['decisions', '--all', '--json'])).decisions.find((d) => d.id === id)!;
    expect(decision.status).toBe('done');
    expect(decision.also).toMatchObject([{ status: 'failed', agent: 'bob' }]);
    writeFileSync(join(b, 'work.txt'), 'unrelated\n');
    git(b, 'add', 'work.txt');
    git(b, 'commit', '-q', '-m', 'unrelated work'); // the pre-commit hook runs check --staged
  });

  it('a dependency cycle made by a merge is a warning naming the command that breaks it', () => {
    const { a, b } = clones();
    const t5 = cli(a, ['backlog', 'add', 'T5', '--quiet']).stdout.trim();
    const t6 = cli(a, ['backlog', 'add', 'T6', '--quiet']).stdout.trim();
    git(a, 'push', '-q', 'origin', 'main');
    expect(pull(b).status).toBe(0);
    expect(cli(a, ['backlog', 'update', t5, '--depends', t6]).code).toBe(0);
    expect(cli(b, ['backlog', 'update', t6, '--depends', t5]).code).toBe(0);
    git(a, 'push', '-q', 'origin', 'main');
    expect(pull(b).status).toBe(0);
    const run = check(b);
    expect(run.code, run.stdout).toBe(0);
    const fix = /warning: dependency cycle .* break it: (agentstate backlog update (t-\w+) --drop-depends (t-\w+))$/m.exec(run.stdout);
    expect(fix, run.stdout).not.toBeNull();
    expect(cli(b, ['backlog', 'update', fix![2]!, '--status', 'active']).code, 'a task in the cycle can still be updated').toBe(0);
    expect(cli(b, fix![1]!.split(' ').slice(1)).code).toBe(0);
    const after = check(b);
    expect(after.code).toBe(0);
    expect(after.stdout).not.toMatch(/cycle/);
  });
});

describe('check --staged judges what the commit introduces', () => {
  it('a finding already in HEAD does not block an unrelated commit; a new one still does', () => {
    const dir = stateRepo();
    expect(cli(dir, ['hooks', 'install']).code).toBe(0);
    expect(cli(dir, ['log', 'one']).code).toBe(0);
    writeFileSync(join(dir, '.agentstate/decisions.yaml'), read(dir, '.agentstate/decisions.yaml') + '- {"id":"d-0000000001","at":"2026-01-01T00:00:00.000Z","kind":"outcome","decision":"d-9999999999","status":"done","agent":"a"}\n');
    git(dir, 'commit', '-q', '--no-verify', '-am', 'a dangling outcome, past the hook');
    expect(check(dir).code).toBe(1);

    writeFileSync(join(dir, 'work.txt'), 'unrelated\n');
    git(dir, 'add', 'work.txt');
    expect(check(dir, '--staged').stdout).toMatch(/no state file staged/);
    git(dir, 'commit', '-q', '-m', 'unrelated work');
    expect(cli(dir, ['log', 'two']).code, 'agentstate\'s own commits still go through').toBe(0);
    writeFileSync(join(dir, '.agentstate/runtime.json'), '{ "schema": 1, broken');
    git(dir, 'add', '.agentstate/runtime.json');
    const staged = check(dir, '--staged');
    expect(staged.code).toBe(1);
    expect(staged.stdout.trim()).toBe('.agentstate/runtime.json: not valid JSON');
    git(dir, 'checkout', '-q', 'HEAD', '--', '.agentstate/runtime.json');
    writeFileSync(join(dir, EVENTS), read(dir, EVENTS).replace('"summary":"one"', '"summary":"ONE"'));
    git(dir, 'add', EVENTS);
    expect(check(dir, '--staged').stdout).toMatch(/record ev-\w+ was changed since the last commit/);
  });
});
