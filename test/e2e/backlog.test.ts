import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliAsync, git, json, readYaml, read, stateRepo } from '../helpers/cli.js';

const BACKLOG = '.agentstate/backlog.yaml';
type Task = { id: string; title: string; status: string; owner?: string; version: number; [key: string]: unknown };

const add = (dir: string, ...args: string[]) => {
  const run = cli(dir, ['backlog', 'add', ...args]);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.trim();
};
const next = (dir: string, ...args: string[]) => json<{ task: Task | null }>(cli(dir, ['backlog', 'next', '--json', ...args])).task;
const tasks = (dir: string) => (readYaml(join(dir, BACKLOG)) as { items: Task[] | null }).items ?? [];

describe('backlog', () => {
  it('next never returns a task with an unfinished dependency', () => {
    const dir = stateRepo();
    const a = add(dir, 'A', '--priority', 'P1');
    const b = add(dir, 'B', '--priority', 'P0', '--depends', a);
    add(dir, 'C', '--priority', 'P2');
    expect(next(dir)?.id).toBe(a);
    expect(cli(dir, ['backlog', 'update', a, '--status', 'done']).code).toBe(0);
    expect(next(dir)?.id).toBe(b);
    expect(tasks(dir)).toHaveLength(3);
  });

  it('the second agent to claim a task exits 4', () => {
    const dir = stateRepo();
    const id = add(dir, 'contested');
    expect(cli(dir, ['backlog', 'claim', id, '--agent', 'one']).code).toBe(0);
    const second = cli(dir, ['backlog', 'claim', id, '--agent', 'two']);
    expect(second.code).toBe(4);
    expect(second.stderr).toMatch(/held by one/);
    expect(tasks(dir)[0]).toMatchObject({ status: 'active', owner: 'one', version: 2 });
  });

  it('8 agents running next --claim at once get 8 different tasks', async () => {
    const dir = stateRepo();
    for (let i = 0; i < 8; i++) add(dir, `task ${i}`);
    const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => cliAsync(dir, ['backlog', 'next', '--claim', '--json', '--agent', `agent-${i}`])));
    const claimed = runs.map((run) => (JSON.parse(run.stdout) as { task: Task }).task);
    expect(new Set(claimed.map((task) => task.id)).size).toBe(8);
    expect(tasks(dir).every((task) => task.status === 'active')).toBe(true);
    expect(new Set(tasks(dir).map((task) => task.owner)).size).toBe(8);
  });

  it('8 processes x 5 adds at once: 40 tasks, none lost, ids unique', async () => {
    const dir = stateRepo();
    await Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        for (let i = 0; i < 5; i++) expect((await cliAsync(dir, ['backlog', 'add', `w${worker} t${i}`])).code).toBe(0);
      }),
    );
    const all = tasks(dir);
    expect(all).toHaveLength(40);
    expect(new Set(all.map((task) => task.id)).size).toBe(40);
    expect(new Set(all.map((task) => task.title)).size).toBe(40);
  });

  it('stale --expect-version exits 4; bad priority or status exits 2; unknown id exits 3; file unchanged', () => {
    const dir = stateRepo();
    const id = add(dir, 'versioned');
    expect(cli(dir, ['backlog', 'update', id, '--notes', 'v2', '--expect-version', '1']).code).toBe(0);
    const before = read(dir, BACKLOG);
    const stale = cli(dir, ['backlog', 'update', id, '--notes', 'lost?', '--expect-version', '1']);
    expect(stale.code).toBe(4);
    expect(stale.stderr).toMatch(/version 2, not 1/);
    expect(cli(dir, ['backlog', 'update', id, '--priority', 'P9']).code).toBe(2);
    expect(cli(dir, ['backlog', 'update', id, '--status', 'finished']).code).toBe(2);
    expect(cli(dir, ['backlog', 'add', 'x', '--priority', 'urgent']).code).toBe(2);
    expect(cli(dir, ['backlog', 'show', 't-zzzzzzzz']).code).toBe(3);
    expect(cli(dir, ['backlog', 'update', '../../etc/passwd', '--notes', 'x']).code).toBe(2);
    expect(read(dir, BACKLOG)).toBe(before);
  });

  it('a dependency cycle is refused, with the cycle named', () => {
    const dir = stateRepo();
    const a = add(dir, 'A');
    const b = add(dir, 'B', '--depends', a);
    const c = add(dir, 'C', '--depends', b);
    const before = read(dir, BACKLOG);
    const run = cli(dir, ['backlog', 'update', a, '--depends', c]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${a} -> ${c} -> ${b} -> ${a}`);
    expect(read(dir, BACKLOG)).toBe(before);
    expect(cli(dir, ['backlog', 'add', 'D', '--depends', 't-nosuchtask']).code).toBe(2);
  });

  it('unknown fields a user added by hand survive a rewrite, and the file parses after every operation', () => {
    const dir = stateRepo();
    const id = add(dir, 'with extras');
    writeFileSync(join(dir, BACKLOG), read(dir, BACKLOG).replace('"title":"with extras"', '"title":"with extras","estimate":{"hours":3},"link":"https://example.com/x"'));
    git(dir, 'commit', '-qam', 'hand edit');
    cli(dir, ['backlog', 'update', id, '--priority', 'P0']);
    expect(tasks(dir)[0]).toMatchObject({ id, priority: 'P0', estimate: { hours: 3 }, link: 'https://example.com/x' });
    cli(dir, ['backlog', 'claim', id]);
    add(dir, 'another');
    expect(tasks(dir)[0]).toMatchObject({ estimate: { hours: 3 } });
  });

  it('--once adds a task once', () => {
    const dir = stateRepo();
    const first = add(dir, 'only once', '--once', 'k1');
    const second = add(dir, 'only once', '--once', 'k1');
    expect(second).toBe(first);
    expect(tasks(dir)).toHaveLength(1);
  });

  it('list shows a readable table, and the AGENTS.md block follows the next tasks', () => {
    const dir = stateRepo();
    const id = add(dir, 'Write the README', '--priority', 'P0', '--epic', 'docs');
    const list = cli(dir, ['backlog', 'list']).stdout;
    expect(list.split('\n')[0]).toMatch(/^PRI\s+STATUS\s+ID\s+TITLE\s+OWNER/);
    expect(list).toContain(id);
    expect(read(dir, 'AGENTS.md')).toContain(`${id} [P0] Write the README`);
    cli(dir, ['backlog', 'update', id, '--status', 'done']);
    expect(read(dir, 'AGENTS.md')).not.toContain(id);
  });
});
