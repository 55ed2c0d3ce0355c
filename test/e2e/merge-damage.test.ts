import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cli, git, read } from '../helpers/cli.js';
import { cluster, ok, pull, push } from '../helpers/clones.js';

const EVENTS = '.agentstate/events.yaml';

/** The reproduction: cut the last 40 bytes of the line holding `needle`, commit without hooks. */
function damage(dir: string, needle: string, id = ''): string {
  const run = spawnSync('sed', ['-i', `/"${needle}"/s/.\\{40\\}$//`, EVENTS], { cwd: dir, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  git(dir, 'commit', '-q', '--no-verify', '-am', `damage ${needle}`);
  return read(dir, EVENTS).split('\n').find((line) => line.includes(`"id":"${id}"`))!;
}

const lineOf = (dir: string, id: string) => read(dir, EVENTS).split('\n').filter((line) => line.includes(`"id":"${id}"`));

describe('a damaged record line never merges away', () => {
  it('a record damaged on our side is taken intact from the side that holds it; check names the damaging commit, not the merge', () => {
    const { alice, bob } = cluster(['alice', 'bob']);
    ok(alice, 'log', 'base1');
    const base2 = ok(alice, 'log', 'base2');
    push(alice);
    expect(pull(bob).status).toBe(0);
    const intact = lineOf(bob, base2);
    damage(alice, 'base2');
    ok(bob, 'log', 'bob 1');
    push(bob);
    const merged = pull(alice);
    expect(merged.status, merged.stderr + merged.stdout).toBe(0);
    expect(lineOf(alice, base2)).toEqual(intact);
    const damaging = git(alice, 'rev-parse', '--short', 'HEAD^1').trim();
    const found = cli(alice, ['check']);
    expect(found.code).toBe(1);
    expect(found.stdout.trim().split('\n'), 'the merge took a copy a parent held: not a rewrite').toEqual([expect.stringMatching(new RegExp(`commit ${damaging} changed record ${base2}`))]);
    ok(alice, 'check', '--accept', damaging, '--why', 'the damage the merge repaired');
    expect(cli(alice, ['check']).code).toBe(0);
  });

  it('a record damaged on their side is taken intact from ours', () => {
    const { alice, bob } = cluster(['alice', 'bob']);
    const base2 = ok(alice, 'log', 'base2');
    push(alice);
    expect(pull(bob).status).toBe(0);
    const intact = lineOf(bob, base2);
    damage(alice, 'base2'); // (a damaged log takes no append: the damage is alice's only change)
    push(alice);
    ok(bob, 'log', 'bob 1');
    const merged = pull(bob);
    expect(merged.status, merged.stderr + merged.stdout).toBe(0);
    expect(lineOf(bob, base2)).toEqual(intact);
  });

  it('a damaged new record that no other side holds leaves an ordinary conflict that still holds its bytes', () => {
    const { alice, bob } = cluster(['alice', 'bob']);
    ok(alice, 'log', 'base');
    push(alice);
    expect(pull(bob).status).toBe(0);
    const damaged = damage(alice, 'new1', ok(alice, 'log', 'new1'));
    expect(damaged).toMatch(/^- \{"id":"ev-/);
    push(alice);
    ok(bob, 'log', 'bob 1');
    const merged = pull(bob);
    expect(merged.status).not.toBe(0);
    expect(merged.stdout + merged.stderr).toMatch(/CONFLICT.*events\.yaml/);
    expect(read(bob, EVENTS)).toContain(damaged);
  });
});
