import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, filesOf, git, json, read, readYaml, stateRepo } from '../helpers/cli.js';
import { cluster, conflictMarkers, ok, pull, push } from '../helpers/clones.js';

// Done and dropped tasks leave backlog.yaml for sealed segments (archive/backlog.<stamp>.<random>.yaml)
// once 16 KiB of them sit in the active file: a backlog of 5,000 tasks then costs a write what one of
// a few hundred does. Every task stays visible where it was before.
const BACKLOG = '.agentstate/backlog.yaml';
const ARCHIVE = '.agentstate/archive';
type Task = { id: string; title: string; status: string; version: number; notes?: string; depends_on?: string[] };

const id = (i: number) => `t-${i.toString(32).padStart(10, '0')}`;
const DONE = 400; // about 80 KB of done tasks: over the 16 KiB a seal waits for

/** A backlog as agentstate 0.1 left it: every task in backlog.yaml, most of them done; one open task depends on a done one. */
function oldFormatBacklog(dir: string): void {
  const lines: string[] = [];
  const at = (i: number) => new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString();
  for (let i = 0; i < DONE; i++) {
    lines.push(`- {"id":"${id(i)}","title":"finished task ${i} of an old backlog","status":"${i % 10 === 9 ? 'dropped' : 'done'}","priority":"P2","version":3,"created":"${at(i)}","updated":"${at(i)}"}`);
  }
  lines.push(`- {"id":"${id(DONE)}","title":"open task after the done one","status":"open","priority":"P1","depends_on":["${id(0)}"],"version":1,"created":"${at(DONE)}","updated":"${at(DONE)}"}`);
  lines.push(`- {"id":"${id(DONE + 1)}","title":"another open task","status":"open","priority":"P2","version":1,"created":"${at(DONE + 1)}","updated":"${at(DONE + 1)}"}`);
  writeFileSync(join(dir, BACKLOG), `# agentstate backlog: one task per line. Change it with \`agentstate backlog …\`, not by hand.\nschema: 1\nitems:\n${lines.join('\n')}\n`);
  git(dir, 'add', BACKLOG);
  git(dir, 'commit', '-qm', 'a backlog from agentstate 0.1');
}

const segments = (dir: string) => {
  try {
    return readdirSync(join(dir, ARCHIVE)).filter((name) => name.startsWith('backlog.')).sort();
  } catch {
    return [];
  }
};
const itemsOf = (path: string) => (readYaml(path) as { items: Task[] | null }).items ?? [];
const allTasks = (dir: string) => json<{ tasks: Task[]; count: number }>(cli(dir, ['backlog', 'list', '--all', '--json'])).tasks;
const show = (dir: string, task: string) => json<{ task: Task }>(cli(dir, ['backlog', 'show', task, '--json'])).task;

describe('backlog archive: sealed segments of done and dropped tasks', () => {
  it('an old backlog is read as it is, and the next write seals its settled tasks in the same commit; every task stays visible', () => {
    const dir = stateRepo();
    oldFormatBacklog(dir);
    expect(allTasks(dir)).toHaveLength(DONE + 2);
    const added = ok(dir, '--quiet', 'backlog', 'add', 'new work');

    const [segment] = segments(dir);
    expect(segments(dir)).toHaveLength(1);
    expect(segment).toMatch(/^backlog\.\d{8}T\d{6}Z\.[0-9a-f]{6}\.yaml$/);
    const sealed = itemsOf(join(dir, ARCHIVE, segment!)); // a plain YAML parser reads it
    expect(sealed.map((task) => task.id).sort()).toEqual(Array.from({ length: DONE - 1 }, (_, i) => id(i + 1)).sort());
    // The active file keeps the open tasks and the done task an open one depends on.
    expect(itemsOf(join(dir, BACKLOG)).map((task) => task.id)).toEqual([id(0), id(DONE), id(DONE + 1), added]);
    expect(filesOf(dir)).toEqual(expect.arrayContaining([BACKLOG, `${ARCHIVE}/${segment}`]));

    expect(allTasks(dir)).toHaveLength(DONE + 3);
    expect(show(dir, id(7)).status).toBe('done');
    expect(json<{ tasks: Task[] }>(cli(dir, ['backlog', 'list', '--status', 'dropped', '--json'])).tasks).toHaveLength(DONE / 10);
    expect(json<{ task: Task }>(cli(dir, ['backlog', 'next', '--json'])).task.id).toBe(id(DONE)); // its dependency is done
    expect(cli(dir, ['check']).code).toBe(0);

    // A sealed task changed comes back into the active file (the newer version wins), once.
    expect(cli(dir, ['backlog', 'update', id(7), '--status', 'open', '--note', 'reopened']).code).toBe(0);
    expect(show(dir, id(7))).toMatchObject({ status: 'open', notes: 'reopened', version: 4 });
    expect(allTasks(dir).filter((task) => task.id === id(7))).toHaveLength(1);
    expect(read(dir, BACKLOG)).toContain(`"id":"${id(7)}"`);
    // search finds it once, as it is now (the sealed copy is older).
    const found = json<{ hits: Array<{ id: string; status?: string }> }>(cli(dir, ['search', 'finished', '7', '--json'])).hits.filter((hit) => hit.id === id(7));
    expect(found).toEqual([expect.objectContaining({ id: id(7), status: 'open' })]);
    // A dependency on a sealed task: found, and its status read.
    const after = ok(dir, '--quiet', 'backlog', 'add', 'after a sealed task', '--depends', id(8), '--priority', 'P0');
    expect(json<{ task: Task }>(cli(dir, ['backlog', 'next', '--json'])).task.id).toBe(after);
    // The next write brings that sealed task back into backlog.yaml: later writes read no segment to tell readiness.
    ok(dir, 'backlog', 'add', 'one more');
    expect(itemsOf(join(dir, BACKLOG)).map((task) => task.id)).toContain(id(8));
    expect(allTasks(dir).filter((task) => task.id === id(8))).toHaveLength(1);
    const board = json<{ columns: { done: Array<{ id: string }> } }>(cli(dir, ['board', '--done-since', '1000d', '--limit', '1000', '--json']));
    expect(board.columns.done.map((card) => card.id)).toContain(id(8));
    expect(cli(dir, ['check']).code).toBe(0);
  });

  it('check catches a sealed segment that was rewritten or removed', () => {
    const dir = stateRepo();
    oldFormatBacklog(dir);
    ok(dir, 'backlog', 'add', 'seal them');
    const [segment] = segments(dir);
    const path = join(dir, ARCHIVE, segment!);
    const original = read(dir, `${ARCHIVE}/${segment}`);
    writeFileSync(path, original.replace('finished task 5 of', 'never finished task 5 of'));
    const changed = cli(dir, ['check']);
    expect(changed.code).toBe(1);
    expect(changed.stdout + changed.stderr).toMatch(new RegExp(`${ARCHIVE}/${segment!.replace(/\./g, '\\.')}: a sealed segment of the backlog was changed`));

    rmSync(path);
    const removed = cli(dir, ['check']);
    expect(removed.code).toBe(1);
    expect(removed.stdout + removed.stderr).toMatch(/a sealed segment of the backlog was removed/);

    // Committed anyway: the history half of check finds the commit that rewrote it.
    writeFileSync(path, original.replace('finished task 5 of', 'never finished task 5 of'));
    git(dir, 'add', ARCHIVE);
    git(dir, 'commit', '-qm', 'rewrite a sealed segment');
    const history = cli(dir, ['check']);
    expect(history.code).toBe(1);
    expect(history.stdout + history.stderr).toMatch(new RegExp(`${id(5)}`));
  });

  it('two clones that seal the same backlog and change it meanwhile merge without a conflict or a lost task', () => {
    const { alice, bob } = cluster(['alice', 'bob']);
    oldFormatBacklog(alice);
    push(alice);
    expect(pull(bob).status).toBe(0);

    const fromAlice = ok(alice, '--quiet', 'backlog', 'add', 'from alice'); // seals on alice
    ok(alice, 'backlog', 'update', id(DONE + 1), '--status', 'done');
    push(alice);
    ok(bob, 'backlog', 'update', id(3), '--note', 'a note on a task alice sealed'); // bob's own seal keeps the task it changed
    const fromBob = ok(bob, '--quiet', 'backlog', 'add', 'from bob');
    expect(segments(alice)).toHaveLength(1);
    expect(segments(bob)).toHaveLength(1);

    const merged = pull(bob);
    expect(merged.status, merged.stderr).toBe(0);
    expect(conflictMarkers(bob)).toEqual([]);
    expect(segments(bob)).toHaveLength(2); // both seals, each task read once
    const tasks = allTasks(bob);
    expect(tasks.map((task) => task.id).sort()).toEqual([...Array.from({ length: DONE + 2 }, (_, i) => id(i)), fromAlice, fromBob].sort());
    expect(show(bob, id(3)).notes).toBe('a note on a task alice sealed');
    expect(show(bob, id(DONE + 1)).status).toBe('done');
    expect(cli(bob, ['check']).code).toBe(0);

    push(bob);
    expect(pull(alice).status).toBe(0);
    expect(allTasks(alice).map((task) => task.id).sort()).toEqual(tasks.map((task) => task.id).sort());
    expect(show(alice, id(3)).notes).toBe('a note on a task alice sealed');
    expect(cli(alice, ['check']).code).toBe(0);
  });
});
