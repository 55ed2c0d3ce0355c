import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, git, json, read } from '../helpers/cli.js';
import { cluster, ok, pull, push } from '../helpers/clones.js';

type Runtime = { version: number; updated_at: string; fields: Record<string, unknown>; merge_notes?: string[] };
const runtime = (dir: string) => JSON.parse(read(dir, '.agentstate/runtime.json')) as Runtime;

describe('runtime.json merges per leaf', () => {
  it('dotted keys set under one map on two clones both survive', () => {
    const { alice, bob } = cluster(['alice', 'bob']);
    ok(alice, 'state', 'set', 'deploy.region=eu');
    push(alice);
    ok(bob, 'state', 'set', 'deploy.zone=z1');
    const merged = pull(bob);
    expect(merged.status, merged.stderr).toBe(0);
    expect(runtime(bob).fields).toEqual({ deploy: { region: 'eu', zone: 'z1' } });
    expect(cli(bob, ['check']).code).toBe(0);
  });

  it('a branch whose runtime.json says updated_at 2030 does not beat a newer real change; its value is kept in merge_notes', () => {
    const { alice, bob } = cluster(['alice', 'bob']);
    ok(alice, 'state', 'set', 'phase=build');
    push(alice);
    expect(pull(bob).status).toBe(0);
    const hostile = { ...runtime(alice), version: runtime(alice).version + 1, updated_at: '2030-01-01T00:00:00.000Z', fields: { phase: 'from-the-future' } };
    writeFileSync(join(alice, '.agentstate/runtime.json'), JSON.stringify(hostile, null, 2) + '\n');
    git(alice, 'commit', '-qam', 'runtime from a skewed clock');
    push(alice);
    ok(bob, 'state', 'set', 'phase=real');
    const merged = pull(bob);
    expect(merged.status, merged.stderr).toBe(0);
    const state = runtime(bob);
    expect(state.fields).toEqual({ phase: 'real' });
    expect(state.updated_at < '2030').toBe(true);
    expect(state.merge_notes?.join('\n')).toMatch(/phase was "from-the-future" on the other side/);
    expect(json<{ value: unknown }>(cli(bob, ['state', 'get', 'phase', '--json'])).value).toBe('real');
  });
});

describe('backlog arrays merge as sets', () => {
  it('tags and dependencies added on two clones are all kept, with no note of a conflict', () => {
    const { alice, bob } = cluster(['alice', 'bob']);
    const [one, two, three] = [ok(alice, '--quiet', 'backlog', 'add', 'one'), ok(alice, '--quiet', 'backlog', 'add', 'two'), ok(alice, '--quiet', 'backlog', 'add', 'three')];
    const task = ok(alice, '--quiet', 'backlog', 'add', 'shared', '--tag', 'base');
    push(alice);
    expect(pull(bob).status).toBe(0);
    ok(alice, 'backlog', 'update', task, '--tag', 'alice', '--depends', one);
    push(alice);
    ok(bob, 'backlog', 'update', task, '--tag', 'bob', '--depends', two, '--depends', three);
    const merged = pull(bob);
    expect(merged.status, merged.stderr).toBe(0);
    const shown = json<{ task: { tags: string[]; depends_on: string[]; notes?: string } }>(cli(bob, ['backlog', 'show', task, '--json'])).task;
    expect([...shown.tags].sort()).toEqual(['alice', 'base', 'bob']);
    expect([...shown.depends_on].sort()).toEqual([one, two, three].sort());
    expect(shown.notes ?? '').not.toMatch(/other side/);
  });
});
