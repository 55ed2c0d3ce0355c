import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, git, json, readYaml, read } from '../helpers/cli.js';
import { cluster, conflictMarkers, ok, pull, push } from '../helpers/clones.js';

type Task = { id: string; title: string; priority: string; notes?: string; status: string; epic?: string };

const tasks = (dir: string) => json<{ tasks: Task[] }>(cli(dir, ['backlog', 'list', '--all', '--json'])).tasks;

const noConflictMarkers = (dir: string) => expect(conflictMarkers(dir)).toEqual([]);

function expectOnceEach(dir: string, key: 'events' | 'decisions', ids: string[]): void {
  const parsed = readYaml(join(dir, `.agentstate/${key}.yaml`)) as Record<string, Array<{ id: string }>>;
  const all = parsed[key]!.map((record) => record.id);
  expect(new Set(all).size).toBe(all.length);
  for (const id of ids) expect(all.filter((other) => other === id), id).toHaveLength(1);
}

describe('merging state across clones', () => {
  it('two clones that both add events, decisions, tasks and catches merge cleanly, each record once', () => {
    const { alice, bob } = cluster(['alice', 'bob']);
    const mine = { events: [ok(alice, 'log', 'alice 1'), ok(alice, 'log', 'alice 2')], decisions: [ok(alice, 'decide', 'alice decides', '--why', 'a')] };
    ok(alice, 'catch', 'lint', 'alice caught');
    const aliceTask = ok(alice, 'backlog', 'add', 'alice task');
    push(alice);
    const theirs = { events: [ok(bob, 'log', 'bob 1')], decisions: [ok(bob, 'decide', 'bob decides', '--why', 'b', '--standing')] };
    ok(bob, 'catch', 'tests', 'bob caught');
    const bobTask = ok(bob, 'backlog', 'add', 'bob task');
    const merged = pull(bob);
    expect(merged.status, merged.stderr).toBe(0);
    noConflictMarkers(bob);
    expectOnceEach(bob, 'events', [...mine.events, ...theirs.events]);
    expectOnceEach(bob, 'decisions', [...mine.decisions, ...theirs.decisions]);
    readYaml(join(bob, '.agentstate/backlog.yaml'));
    readYaml(join(bob, '.agentstate/decisions-index.yaml'));
    expect(tasks(bob).map((task) => task.id).sort()).toEqual([aliceTask, bobTask].sort());
    const rows = read(bob, '.agentstate/catch-log.tsv').trim().split('\n');
    expect(rows.filter((row) => row.startsWith('id\t'))).toHaveLength(1);
    expect(rows).toHaveLength(3);
    const check = cli(bob, ['check']);
    expect(check.code, check.stdout).toBe(0);
    expect(read(bob, 'AGENTS.md')).toContain('alice decides');
    expect(read(bob, 'AGENTS.md')).toContain('bob decides');
  });

  it('changes to different fields of a task both survive; the same field keeps the later change and notes the other', () => {
    const { alice, bob } = cluster(['alice', 'bob']);
    const task = ok(alice, 'backlog', 'add', 'shared', '--priority', 'P2');
    push(alice);
    expect(pull(bob).status).toBe(0);
    ok(alice, 'backlog', 'update', task, '--priority', 'P0', '--epic', 'alice-epic');
    push(alice);
    ok(bob, 'backlog', 'update', task, '--title', 'renamed by bob', '--epic', 'bob-epic');
    expect(pull(bob).status).toBe(0);
    const merged = tasks(bob).find((candidate) => candidate.id === task)!;
    expect(merged.priority).toBe('P0');
    expect(merged.title).toBe('renamed by bob');
    expect(merged.epic).toBe('bob-epic');
    expect(merged.notes).toMatch(/epic was "alice-epic" on the other side/);
    expect(cli(bob, ['check']).code).toBe(0);
  });

  it('an outcome recorded on one side closes a decision made on the other', () => {
    const { alice, bob } = cluster(['alice', 'bob']);
    const decision = ok(alice, 'decide', 'ship it', '--why', 'ready');
    push(alice);
    expect(pull(bob).status).toBe(0);
    ok(bob, 'outcome', decision, 'done');
    ok(alice, 'log', 'meanwhile');
    push(alice);
    expect(pull(bob).status).toBe(0);
    const decisions = json<{ decisions: Array<{ id: string; status: string }> }>(cli(bob, ['decisions', '--all', '--json'])).decisions;
    expect(decisions.find((d) => d.id === decision)?.status).toBe('done');
    expect(cli(bob, ['check']).code).toBe(0);
    expect(cli(bob, ['resume', '--check']).code).toBe(0);
  });

  it('merging the same branch twice, and in both directions, creates no duplicate', () => {
    const { alice, bob } = cluster(['alice', 'bob']);
    const a = ok(alice, 'log', 'from alice');
    push(alice);
    const b = ok(bob, 'log', 'from bob');
    expect(pull(bob).status).toBe(0);
    expect(pull(bob).status).toBe(0);
    push(bob);
    const c = ok(alice, 'log', 'alice again');
    expect(pull(alice).status).toBe(0);
    push(alice);
    expect(pull(bob).status).toBe(0);
    for (const dir of [alice, bob]) {
      expectOnceEach(dir, 'events', [a, b, c]);
      expect(cli(dir, ['check']).code).toBe(0);
    }
  });

  it('three clones merged in succession keep every record once', () => {
    const { ann, ben, cat } = cluster(['ann', 'ben', 'cat']);
    const ids = [ok(ann, 'log', 'ann'), ok(ann, 'decide', 'ann d', '--why', 'x')];
    push(ann);
    const benIds = [ok(ben, 'log', 'ben'), ok(ben, 'decide', 'ben d', '--why', 'y')];
    expect(pull(ben).status).toBe(0);
    push(ben);
    const catIds = [ok(cat, 'log', 'cat'), ok(cat, 'decide', 'cat d', '--why', 'z')];
    expect(pull(cat).status).toBe(0);
    noConflictMarkers(cat);
    expectOnceEach(cat, 'events', [ids[0]!, benIds[0]!, catIds[0]!]);
    expectOnceEach(cat, 'decisions', [ids[1]!, benIds[1]!, catIds[1]!]);
    expect(cli(cat, ['check']).code).toBe(0);
  });

  // git's octopus strategy merges with merge-one-file, which runs no merge driver: three branches
  // merged one after another is the supported way, and the README says so.
  it('three branches merged one after another into one keep every record once', () => {
    const { solo } = cluster(['solo']);
    const ids: string[] = [];
    for (const branch of ['one', 'two', 'three']) {
      git(solo, 'checkout', '-q', '-b', branch, 'main');
      ids.push(ok(solo, 'log', `on ${branch}`));
    }
    git(solo, 'checkout', '-q', 'main');
    ids.push(ok(solo, 'log', 'on main'));
    for (const branch of ['one', 'two', 'three']) {
      const merge = spawnSync('git', ['merge', '-q', '--no-edit', branch], { cwd: solo, encoding: 'utf8' });
      expect(merge.status, merge.stderr + merge.stdout).toBe(0);
    }
    expectOnceEach(solo, 'events', ids);
    noConflictMarkers(solo);
    expect(cli(solo, ['check']).code).toBe(0);
  });

  it('a merge across a sealed segment stays clean', () => {
    const { alice, bob } = cluster(['alice', 'bob'], { config: (text) => text.replace('seal_bytes: 262144', 'seal_bytes: 600') });
    const ids = [ok(alice, 'log', 'before the seal')];
    push(alice);
    expect(pull(bob).status).toBe(0);
    for (let i = 0; i < 4; i++) ids.push(ok(alice, 'log', `alice ${i} ${'x'.repeat(60)}`));
    expect(readdirSync(join(alice, '.agentstate/archive')).length).toBeGreaterThan(0);
    push(alice);
    ids.push(ok(bob, 'log', 'bob, not sealed'));
    expect(pull(bob).status).toBe(0);
    noConflictMarkers(bob);
    const events = json<{ events: Array<{ id: string }> }>(cli(bob, ['events', '--json'])).events.map((event) => event.id);
    expect(events.sort()).toEqual([...ids].sort());
    const check = cli(bob, ['check']);
    expect(check.code, check.stdout).toBe(0);
  });

  it('without the driver registered the failure is an ordinary git conflict, and doctor says what to do', () => {
    const { alice, bob } = cluster(['alice', 'bob'], { register: false });
    ok(alice, 'log', 'alice');
    push(alice);
    ok(bob, 'log', 'bob');
    const merged = pull(bob);
    expect(merged.status).not.toBe(0);
    expect(merged.stdout + merged.stderr).toMatch(/CONFLICT \(content\): Merge conflict in \.agentstate\/events\.yaml/);
    expect(cli(bob, ['doctor']).stdout).toMatch(/not registered in this clone: .*agentstate-log.*agentstate hooks install/);
  });

  it('the driver fails safe: input it cannot read leaves an ordinary conflict, not a half-merged file', () => {
    const { alice, bob } = cluster(['alice', 'bob']);
    writeFileSync(join(alice, '.agentstate/backlog.yaml'), 'items: [ this is { not valid\n');
    git(alice, 'commit', '-qam', 'broken backlog');
    push(alice);
    ok(bob, 'backlog', 'add', 'bob task');
    const merged = pull(bob);
    expect(merged.status).not.toBe(0);
    expect(merged.stdout + merged.stderr).toMatch(/CONFLICT.*backlog\.yaml/);
    expect(read(bob, '.agentstate/backlog.yaml')).toMatch(/^<<<<<<< ours/m);
  });
});

describe('rebasing state', () => {
  it('git pull --rebase replays state changes without a conflict, and check passes', () => {
    const { alice, bob } = cluster(['alice', 'bob']);
    const shared = ok(alice, 'decide', 'shared plan', '--why', 'x');
    push(alice);
    expect(pull(bob).status).toBe(0);
    const ids = [ok(alice, 'log', 'alice'), ok(alice, 'decide', 'alice d', '--why', 'a')];
    ok(alice, 'backlog', 'add', 'alice task');
    push(alice);
    const mine = [ok(bob, 'log', 'bob'), ok(bob, '--quiet', 'outcome', shared, 'done')];
    ok(bob, 'backlog', 'add', 'bob task');
    const rebase = spawnSync('git', ['pull', '-q', '--rebase', 'origin', 'main'], { cwd: bob, encoding: 'utf8' });
    expect(rebase.status, rebase.stdout + rebase.stderr).toBe(0);
    noConflictMarkers(bob);
    expectOnceEach(bob, 'events', [ids[0]!, mine[0]!]);
    expectOnceEach(bob, 'decisions', [shared, ids[1]!, mine[1]!]);
    expect(tasks(bob).map((task) => task.title).sort()).toEqual(['alice task', 'bob task']);
    const check = cli(bob, ['check']);
    expect(check.code, check.stdout).toBe(0);
  });
});
