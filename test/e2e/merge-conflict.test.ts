import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, git, read } from '../helpers/cli.js';
import { cluster, ok, pull, push } from '../helpers/clones.js';

const STATE = ['backlog.yaml', 'runtime.json', 'events.yaml'].map((name) => `.agentstate/${name}`);

/** Two clones where bob has no drivers registered: both change the backlog and runtime state. */
function conflicted(rebase: boolean): string {
  const { alice, bob } = cluster(['alice', 'bob']);
  for (const name of ['log', 'tsv', 'backlog', 'runtime', 'derived', 'boot']) git(bob, 'config', '--remove-section', `merge.agentstate-${name}`);
  ok(alice, 'backlog', 'add', 'alice task');
  ok(alice, 'state', 'set', 'phase=alice');
  push(alice);
  ok(bob, 'backlog', 'add', 'bob task');
  ok(bob, 'state', 'set', 'phase=bob');
  const merged = pull(bob, ...(rebase ? ['--rebase'] : []));
  expect(merged.status).not.toBe(0);
  expect(merged.stdout + merged.stderr).toMatch(/CONFLICT.*backlog\.yaml/);
  return bob;
}

describe('during a conflicted merge or rebase', () => {
  it.each([
    ['merge', false, /git merge --abort/],
    ['rebase', true, /git rebase --abort/],
  ])('doctor --repair leaves the state files alone during a %s, says to finish or abort it, and exits 1', (_, rebase, abort) => {
    const dir = conflicted(rebase as boolean);
    const before = STATE.map((path) => read(dir, path));
    const repair = cli(dir, ['doctor', '--repair']);
    expect(repair.code).toBe(1);
    expect(repair.stdout + repair.stderr).toMatch(abort as RegExp);
    expect(repair.stdout + repair.stderr).toMatch(/agentstate hooks install/);
    expect(STATE.map((path) => read(dir, path))).toEqual(before);
    expect(readdirSync(join(dir, '.agentstate')).filter((name) => name.includes('.corrupt-'))).toEqual([]);
    const check = cli(dir, ['check']);
    expect(check.code).toBe(1);
    expect(check.stdout + check.stderr).not.toMatch(/doctor --repair/);
    expect(check.stdout + check.stderr).toMatch(abort as RegExp);
    // Plain doctor: what waits for a commit waits for the operation, not for `agentstate commit`.
    const doctor = cli(dir, ['doctor']).stdout;
    if (/uncommitted:/.test(doctor)) expect(doctor).not.toMatch(/uncommitted: .*run `agentstate commit`/);
  });
});
