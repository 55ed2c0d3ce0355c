import { describe, expect, it } from 'vitest';
import { effectiveTasks, missingDependencies, newerTask, tasksToSeal } from '../../src/core/backlog.js';
import type { Task } from '../../src/core/schemas.js';

const task = (id: string, fields: Partial<Task> = {}): Task =>
  ({ id, title: id, status: 'open', priority: 'P2', version: 1, created: '2026-01-01T00:00:00.000Z', updated: '2026-01-01T00:00:00.000Z', ...fields }) as Task;
const ids = (tasks: Task[]) => tasks.map((t) => t.id);

describe('backlog archive (pure)', () => {
  it.each([
    ['settled tasks nobody needs', [task('a', { status: 'done' }), task('b', { status: 'dropped' }), task('c')], [], ['a', 'b']],
    ['a done task an open one depends on stays', [task('a', { status: 'done' }), task('c', { depends_on: ['a'] })], [], []],
    ['a done task only a done one depends on goes', [task('a', { status: 'done' }), task('b', { status: 'done', depends_on: ['a'] })], [], ['a', 'b']],
    ['the task this command changed stays, and what it depends on', [task('a', { status: 'done' }), task('b', { status: 'done', depends_on: ['a'] })], ['b'], []],
    ['active and blocked tasks never go', [task('a', { status: 'active', owner: 'x' }), task('b', { status: 'blocked' })], [], []],
  ])('tasksToSeal: %s', (_, tasks, keep, sealed) => {
    expect(ids(tasksToSeal(tasks, new Set(keep)))).toEqual(sealed);
  });

  it('effectiveTasks: the active copy wins; of two sealed copies, the newer; each id once', () => {
    const sealedA = [task('a', { status: 'done', version: 3 }), task('b', { status: 'done', version: 2 })];
    const sealedB = [task('b', { status: 'done', version: 4, notes: 'later' }), task('c', { status: 'dropped' })];
    const active = [task('a', { status: 'open', version: 4 }), task('d')];
    const all = effectiveTasks([sealedA, sealedB], active);
    expect(ids(all).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(all.find((t) => t.id === 'a')?.status).toBe('open');
    expect(all.find((t) => t.id === 'b')?.notes).toBe('later');
  });

  it('newerTask: higher version, then later change', () => {
    expect(newerTask(task('a', { version: 2 }), task('a', { version: 3 })).version).toBe(3);
    expect(newerTask(task('a', { updated: '2026-02-01T00:00:00.000Z' }), task('a')).updated).toBe('2026-02-01T00:00:00.000Z');
  });

  it('missingDependencies: ids the active tasks depend on that the active file lacks', () => {
    expect([...missingDependencies([task('a', { depends_on: ['b', 'z'] }), task('b')])]).toEqual(['z']);
  });
});
