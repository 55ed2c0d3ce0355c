import { describe, expect, it } from 'vitest';
import { readyTasks } from '../../src/core/backlog.js';
import { boardOf } from '../../src/core/board.js';
import { taskBoard } from '../../src/core/task-board.js';
import type { Task } from '../../src/core/schemas.js';

const task = (id: string, status: Task['status'], depends_on: string[] = []): Task => ({
  id,
  title: id,
  status,
  priority: 'P1',
  version: 1,
  created: '2026-01-01T00:00:00.000Z',
  updated: '2026-01-01T00:00:00.000Z',
  ...(depends_on.length ? { depends_on } : {}),
});

describe('the board and the briefing read the backlog alike', () => {
  it.each([
    ['waits on an unfinished task', [task('t-aaaa', 'open', ['t-bbbb']), task('t-bbbb', 'open')], 't-aaaa', 'blocked'],
    ['waits on a task that does not exist', [task('t-aaaa', 'open', ['t-zzzz'])], 't-aaaa', 'blocked'],
    ['waits on a done task', [task('t-aaaa', 'open', ['t-bbbb']), task('t-bbbb', 'done')], 't-aaaa', 'ready'],
    ['marked blocked', [task('t-aaaa', 'blocked')], 't-aaaa', 'blocked'],
  ])('%s', (_name, tasks, id, column) => {
    const board = boardOf(tasks, { doneSince: 0, limit: 10 });
    const briefing = taskBoard(tasks);
    const inBoard = board[column as 'ready' | 'blocked'].map((card) => card.id);
    const inBriefing = (column === 'ready' ? briefing.ready : briefing.blocked).map((item) => item.id);
    expect(inBoard).toContain(id);
    expect(inBriefing).toContain(id);
  });
});

describe('the board\'s ready tasks', () => {
  it('are readyTasks\' list, in its order, at any limit (one sort serves the blocked and the ready lists)', () => {
    const statuses: Task['status'][] = ['open', 'open', 'done', 'blocked', 'active', 'dropped', 'open'];
    const tasks: Task[] = Array.from({ length: 400 }, (_, i) => ({
      ...task(`t-${(i * 7919) % 400}`, statuses[i % statuses.length]!, i % 5 === 0 ? [`t-${(i * 31) % 400}`] : i % 11 === 0 ? ['t-missing'] : []),
      priority: (['P0', 'P1', 'P2'] as const)[i % 3]!,
      created: `2026-01-0${1 + (i % 4)}T00:00:00.000Z`,
      title: `task ${i}`,
    }));
    tasks.push({ ...task('t-3', 'open'), title: 'a second copy of t-3' }); // a repeated id: the later copy counts, as readyTasks has it
    const ready = readyTasks(tasks);
    expect(ready.length).toBeGreaterThan(100);
    for (const limit of [Infinity, 5, 10, 1000]) expect(taskBoard(tasks, { limit }).ready).toEqual(ready.slice(0, limit));
  });
});
