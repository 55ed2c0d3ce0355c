import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, git, json, read, stateRepo } from '../helpers/cli.js';
import { bareWithClones } from '../helpers/bare-remote.js';

type Task = { id: string; owner?: string; status: string; claimed_at?: string; lease_until?: string; conflicts?: Array<Record<string, string>> };

const ok = (dir: string, args: string[]) => {
  const run = cli(dir, args);
  expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
  return run.stdout.trim();
};
const show = (dir: string, id: string) => json<{ task: Task }>(cli(dir, ['backlog', 'show', id, '--json'])).task;
const minutesFromNow = (iso: string | undefined) => (Date.parse(iso ?? '') - Date.now()) / 60_000;

/** Set a task's lease end by hand (as time passing would), committed. */
function setLease(dir: string, id: string, until: Date): void {
  const path = join(dir, '.agentstate/backlog.yaml');
  const text = read(dir, '.agentstate/backlog.yaml').replace(new RegExp(`("id":"${id}".*?"lease_until":")[^"]+`), `$1${until.toISOString()}`);
  writeFileSync(path, text);
  git(dir, 'commit', '-qam', 'time passes');
}

describe('claims are leases', () => {
  it('claim records owner, claimed_at and a lease of backlog.lease_minutes; heartbeat and the owner\'s writes renew it, others\' do not', () => {
    const dir = stateRepo();
    const id = ok(dir, ['backlog', 'add', 'leased task']);
    ok(dir, ['backlog', 'claim', id, '--agent', 'alice']);
    const claimed = show(dir, id);
    expect(claimed).toMatchObject({ status: 'active', owner: 'alice' });
    expect(Math.abs(Date.parse(claimed.claimed_at!) - Date.now())).toBeLessThan(60_000);
    expect(minutesFromNow(claimed.lease_until)).toBeGreaterThan(58);

    setLease(dir, id, new Date(Date.now() + 10 * 60_000)); // less than half of the hour left
    ok(dir, ['log', 'someone else works', '--agent', 'bob']);
    expect(minutesFromNow(show(dir, id).lease_until)).toBeLessThan(11);
    ok(dir, ['log', 'the owner works', '--agent', 'alice']);
    expect(minutesFromNow(show(dir, id).lease_until)).toBeGreaterThan(58);
    expect(git(dir, 'show', '--name-only', '--format=', 'HEAD')).toContain('.agentstate/backlog.yaml'); // in the owner's own commit

    setLease(dir, id, new Date(Date.now() + 50 * 60_000));
    const beat = json<{ renewed: string[] }>(cli(dir, ['heartbeat', '--agent', 'alice', '--json']));
    expect(beat.renewed).toEqual([id]);
    expect(minutesFromNow(show(dir, id).lease_until)).toBeGreaterThan(58);
    expect(cli(dir, ['check']).code).toBe(0);
  });

  it('a live lease holds (exit 4, naming the lease); an expired one is taken over by next --claim, which says whose lease expired; the old owner is told once', () => {
    const dir = stateRepo();
    const id = ok(dir, ['backlog', 'add', 'contested']);
    ok(dir, ['backlog', 'next', '--claim', '--agent', 'alice']);
    const held = cli(dir, ['backlog', 'claim', id, '--agent', 'bob']);
    expect(held.code).toBe(4);
    expect(held.stderr).toMatch(new RegExp(`${id} is held by alice \\(its lease runs until 20`));
    expect(json<{ task: Task | null }>(cli(dir, ['backlog', 'next', '--json'])).task).toBeNull();

    const expiredAt = new Date(Date.now() - 60_000);
    setLease(dir, id, expiredAt);
    expect(json<{ task: Task }>(cli(dir, ['backlog', 'next', '--json'])).task.id).toBe(id);
    const taken = cli(dir, ['backlog', 'next', '--claim', '--agent', 'bob']);
    expect(taken.code, taken.stderr).toBe(0);
    expect(taken.stderr).toContain(`took over ${id} from alice, whose lease expired at ${expiredAt.toISOString()}`);
    expect(show(dir, id)).toMatchObject({ owner: 'bob', conflicts: [{ agent: 'alice', lost_to: 'bob', reason: 'lease expired' }] });

    const told = cli(dir, ['heartbeat', '--agent', 'alice']);
    expect(told.code).toBe(4);
    expect(told.stderr).toContain(`you lost task ${id} to bob (your lease had expired); stop working on it`);
    expect(cli(dir, ['heartbeat', '--agent', 'alice']).code).toBe(0); // told once
    expect(cli(dir, ['heartbeat', '--agent', 'bob']).code).toBe(0);
  });

  it("a double claim on two clones: the earlier claim wins in the merge, and the loser's sync, resume, backlog show and heartbeat say so (exit 4 once)", () => {
    const { clones } = bareWithClones(['alice', 'bob', 'carol']);
    const { alice, bob, carol } = clones;
    const [first, second] = [ok(alice, ['backlog', 'add', 'first task', '--priority', 'P1']), ok(alice, ['backlog', 'add', 'second task'])];
    for (const dir of [alice, bob, carol]) ok(dir, ['sync']);

    ok(alice, ['backlog', 'next', '--claim']);
    ok(bob, ['backlog', 'next', '--claim']); // the same task, later: bob loses
    ok(bob, ['log', 'bob works on it']);
    ok(alice, ['sync']);
    const sync = cli(bob, ['sync', '--json']);
    expect(sync.code).toBe(4);
    expect(json<{ lost: Array<{ task: string; to: string }>; pushed: boolean }>(sync)).toMatchObject({ pushed: true, lost: [{ task: first, to: 'alice' }] });
    expect(sync.stderr).toContain(`you lost task ${first} to alice (an earlier claim on another clone); stop working on it`);
    expect(show(bob, first)).toMatchObject({ owner: 'alice', status: 'active', conflicts: [{ agent: 'bob', lost_to: 'alice', reason: 'double claim' }] });
    expect(cli(bob, ['sync']).code).toBe(0); // told once

    // the news reaching a clone through a plain `git pull`: resume and show say it, heartbeat stops the script
    ok(alice, ['backlog', 'claim', second]);
    ok(carol, ['backlog', 'claim', second]);
    ok(alice, ['sync']);
    const pulled = spawnSync('git', ['pull', '-q', '--no-rebase', '--no-edit', 'origin', 'main'], { cwd: carol, encoding: 'utf8' });
    expect(pulled.status, pulled.stderr).toBe(0);
    const message = `you lost task ${second} to alice (an earlier claim on another clone); stop working on it`;
    expect(ok(carol, ['resume'])).toContain(message);
    const shown = cli(carol, ['backlog', 'show', second]);
    expect(shown.stderr).toContain(message);
    expect(cli(carol, ['resume']).stdout).toContain(message); // saying it does not use it up
    const beat = cli(carol, ['heartbeat']);
    expect(beat.code).toBe(4);
    expect(beat.stderr).toContain(message);
    expect(cli(carol, ['sync']).code).toBe(0);
    for (const dir of [alice, bob, carol]) expect(cli(dir, ['check']).code).toBe(0);
  });

  it('once told (exit 4 once), the loser\'s resume, backlog show, heartbeat and sync keep saying it while the winner holds the task, and stop when it is done', () => {
    const { clones } = bareWithClones(['alice', 'bob']);
    const { alice, bob } = clones;
    const id = ok(alice, ['backlog', 'add', 'contested']);
    ok(alice, ['sync']);
    ok(bob, ['sync']);
    ok(alice, ['backlog', 'claim', id]);
    ok(bob, ['backlog', 'claim', id]); // later: bob loses
    ok(alice, ['sync']);
    expect(cli(bob, ['sync']).code).toBe(4);
    const message = `you lost task ${id} to alice (an earlier claim on another clone); stop working on it`;
    expect(ok(bob, ['resume'])).toContain(message);
    expect(cli(bob, ['resume', '--check']).stderr).not.toContain(message); // told already: it no longer gates
    expect(cli(bob, ['backlog', 'show', id]).stderr).toContain(message);
    const beat = cli(bob, ['heartbeat', '--json']);
    expect(beat.code).toBe(0);
    expect(beat.stderr).toContain(message);
    expect(json<{ lost: Array<{ task: string; told_before: boolean }> }>(beat).lost).toEqual([expect.objectContaining({ task: id, told_before: true })]);
    const again = cli(bob, ['sync']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(message);

    ok(alice, ['backlog', 'update', id, '--status', 'done']); // the winner finished it: the news is moot
    ok(alice, ['sync']);
    ok(bob, ['sync']);
    expect(ok(bob, ['resume'])).not.toContain(message);
    expect(cli(bob, ['backlog', 'show', id]).stderr).not.toContain(message);
  });

  it('check flags a task held by two live owners (what a merge without the driver leaves)', () => {
    const dir = stateRepo();
    const id = ok(dir, ['backlog', 'add', 'union-merged']);
    ok(dir, ['backlog', 'claim', id, '--agent', 'alice']);
    const text = read(dir, '.agentstate/backlog.yaml');
    const line = text.split('\n').find((entry) => entry.includes(id))!;
    writeFileSync(join(dir, '.agentstate/backlog.yaml'), `${text}${line.replace('"owner":"alice"', '"owner":"bob"')}\n`);
    const check = cli(dir, ['check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(new RegExp(`backlog\\.yaml:\\d+: ${id} has two live owners \\(alice, bob\\)`));
  });
});
