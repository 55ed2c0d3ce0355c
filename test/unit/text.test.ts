import { describe, expect, it } from 'vitest';
import { claimTask, releaseTask } from '../../src/core/claims.js';
import type { Task } from '../../src/core/schemas.js';
import { taskBoard } from '../../src/core/task-board.js';
import { cellText, exactValue, visible } from '../../src/core/text.js';

const task = (id: string, fields: Partial<Task> = {}): Task =>
  ({ id, title: id, status: 'open', priority: 'P2', version: 1, created: '2026-01-01T00:00:00Z', updated: '2026-01-01T00:00:00Z', ...fields }) as Task;

describe('exact values', () => {
  it.each([
    ['3', 3],
    ['-2', -2],
    ['true', true],
    ['null', null],
    ['[1, 2]', [1, 2]],
    ['{"a": [true]}', { a: [true] }],
    ['"quoted"', 'quoted'],
    ['1.10', '1.10'],
    ['12345678901234567890', '12345678901234567890'],
    ['1e3', '1e3'],
    ['1.0', '1.0'],
    ['-0', '-0'],
    ['007', '007'],
    ['"\\u0041"', '"\\u0041"'],
    ['{"a":1,"a":2}', '{"a":1,"a":2}'],
    ['build', 'build'],
    ['', ''],
  ])('%j -> %j', (text, value) => {
    expect(exactValue(text)).toEqual(value);
  });
});

describe('visible text', () => {
  it('writes control characters, DEL, C1, separators and bidi overrides out; keeps the rest', () => {
    expect(visible('a\u001b[2Jb\u0007c\u007f\u0085\u2028\u202e\u2066d\té')).toBe('a\\x1b[2Jb\\x07c\\x7f\\x85\\u2028\\u202e\\u2066d\té');
    expect(cellText('one\r\ntwo\n\nthree')).toBe('one (+2 more lines)');
    expect(cellText('one\n')).toBe('one');
  });
});

describe('task board and claims', () => {
  it('in progress, blocked (marked, waiting, on an unknown task) and ready', () => {
    const tasks = [
      task('t-a', { status: 'active', owner: 'w1', updated: '2026-01-01T10:00:00Z' }),
      task('t-b', { status: 'blocked', notes: 'vendor' }),
      task('t-c', { depends_on: ['t-b'] }),
      task('t-d', { depends_on: ['t-gone'] }),
      task('t-e', { depends_on: ['t-f'] }),
      task('t-f', { status: 'done' }),
    ];
    const now = Date.parse('2026-01-01T12:00:00Z');
    const board = taskBoard(tasks, { activity: new Map([['w1', '2026-01-01T11:30:00Z']]), now, staleMinutes: 60 });
    expect(board.inProgress).toEqual([expect.objectContaining({ id: 't-a', owner: 'w1', lastActivity: '2026-01-01T11:30:00Z', stale: false })]);
    expect(board.blocked.map((b) => [b.id, b.marked, b.blockedBy.map((x) => `${x.id}:${x.status}`)])).toEqual([
      ['t-b', true, []],
      ['t-c', false, ['t-b:blocked']],
      ['t-d', false, ['t-gone:unknown']],
    ]);
    expect(board.ready.map((t) => t.id)).toEqual(['t-e']);
    expect(taskBoard(tasks, { activity: new Map(), now, staleMinutes: 60 }).inProgress[0]!.stale).toBe(true);
  });

  it('claim and release: one owner, release by the owner or with force', () => {
    const { task: claimed } = claimTask(task('t-a'), 'w1', '2026-01-02T00:00:00Z', 60);
    expect(claimed).toMatchObject({ status: 'active', owner: 'w1', claimed_at: '2026-01-02T00:00:00.000Z', lease_until: '2026-01-02T01:00:00.000Z', version: 2 });
    expect(() => claimTask(claimed, 'w2', '2026-01-02T00:59:00Z', 60)).toThrow(/held by w1 \(its lease runs until 2026-01-02T01:00:00.000Z\)/);
    expect(claimTask(claimed, 'w2', '2026-01-02T01:00:00Z', 60).tookOverFrom).toEqual({ agent: 'w1', lease_until: '2026-01-02T01:00:00.000Z' });
    expect(() => releaseTask(claimed, 'w2', 'now')).toThrow(/held by w1/);
    const released = releaseTask(claimed, 'w2', '2026-01-03T00:00:00Z', true);
    expect(released).toMatchObject({ status: 'open', version: 3 });
    expect(released).not.toHaveProperty('owner');
    expect(released).not.toHaveProperty('claimed_at');
    expect(released).not.toHaveProperty('lease_until');
    expect(() => releaseTask(released, 'w1', 'now')).toThrow(/not claimed/);
  });
});
