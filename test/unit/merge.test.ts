import { describe, expect, it } from 'vitest';
import { latestByTime, segmentCeiling } from '../../src/core/latest.js';
import { markOnceDuplicates } from '../../src/core/once.js';
import { ATTRIBUTES_COMMENT, attributeLines, withAttributes } from '../../src/git/merge-setup.js';
import { mergeLogLines, mergeLogSides, mergeRuntime, mergeTasks, UnmergeableLine, type LogLine } from '../../src/core/merge.js';
import type { Task } from '../../src/core/schemas.js';

const line = (id: string, at: string): LogLine => ({ id, at, text: `- {"id":"${id}","at":"${at}"}` });
const ids = (lines: LogLine[]) => lines.map((l) => l.id);

describe('mergeLogLines', () => {
  const a = line('a', '1'), b = line('b', '2'), c = line('c', '3'), d = line('d', '4'), e = line('e', '0');

  it.each([
    ['both append', [a], [a, b], [a, c], ['a', 'b', 'c']],
    ['added on both sides, ordered by time', [a], [a, d], [a, e, c], ['a', 'e', 'c', 'd']],
    ['the same record on both sides once', [a], [a, b], [a, b], ['a', 'b']],
    ['merged twice', [a, b], [a, b, c], [a, b], ['a', 'b', 'c']],
    ['sealed on one side', [a, b], [c], [a, b, d], ['c', 'd']],
    ['no base', [], [b], [a], ['a', 'b']],
  ])('%s', (_, base, ours, theirs, expected) => {
    expect(ids(mergeLogLines(base as LogLine[], ours as LogLine[], theirs as LogLine[]))).toEqual(expected);
  });
});

const task = (fields: Partial<Task>): Task =>
  ({ id: 't-1', title: 'x', status: 'open', priority: 'P2', version: 1, created: '2026-01-01T00:00:00Z', updated: '2026-01-01T00:00:00Z', ...fields }) as Task;

describe('mergeTasks', () => {
  it('merges different fields and keeps the loser of a true conflict in the notes', () => {
    const base = [task({})];
    const ours = [task({ priority: 'P0', epic: 'a', version: 2, updated: '2026-01-02T00:00:00Z' })];
    const theirs = [task({ title: 'y', epic: 'b', version: 3, updated: '2026-01-03T00:00:00Z' })];
    const [merged] = mergeTasks(base, ours, theirs);
    expect(merged).toMatchObject({ priority: 'P0', title: 'y', epic: 'b', version: 4, updated: '2026-01-03T00:00:00Z' });
    expect(merged!.notes).toMatch(/epic was "a" on the other side/);
  });

  it('keeps a task deleted on one side and changed on the other, drops one deleted and unchanged', () => {
    const base = [task({ id: 't-1' }), task({ id: 't-2' })];
    const ours = [task({ id: 't-1', status: 'done', version: 2 })];
    const theirs = [task({ id: 't-2' })];
    expect(mergeTasks(base, ours, theirs).map((t) => t.id)).toEqual(['t-1']);
  });

  it('adds what either side added', () => {
    expect(mergeTasks([], [task({ id: 't-a' })], [task({ id: 't-b' })]).map((t) => t.id)).toEqual(['t-a', 't-b']);
  });

  it('a task neither side changed stays exactly as it was, and one only one side changed is that side as it is (no version bump, same key order)', () => {
    const untouched = task({ id: 't-u', tags: ['x'] });
    const changed = task({ id: 't-c', status: 'active', owner: 'alice', version: 2, updated: '2026-01-02T00:00:00Z' });
    const base = [untouched, task({ id: 't-c' })];
    const merged = mergeTasks(base, [untouched, changed], [structuredClone(untouched), task({ id: 't-c' })]);
    expect(merged.map((t) => JSON.stringify(t))).toEqual([JSON.stringify(untouched), JSON.stringify(changed)]);
    const both = mergeTasks(base, [untouched, changed], [untouched, changed]);
    expect(both.map((t) => JSON.stringify(t))).toEqual([JSON.stringify(untouched), JSON.stringify(changed)]);
  });
});

describe('mergeRuntime', () => {
  it('merges fields; the later side wins a conflict; version is max + 1', () => {
    const base = { schema: 1, version: 1, fields: { x: 1, y: 1 } };
    const ours = { schema: 1, version: 3, updated_at: '2026-01-02', fields: { x: 2, y: 1, mine: true } };
    const theirs = { schema: 1, version: 2, updated_at: '2026-01-03', fields: { x: 3, y: 1 } };
    expect(mergeRuntime(base, ours, theirs)).toMatchObject({ version: 4, updated_at: '2026-01-03', fields: { x: 3, y: 1, mine: true } });
  });
});

describe('mergeLogSides: damaged lines', () => {
  const side = (lines: LogLine[], damaged: Array<{ id?: string; text: string }> = []) => ({ lines, damaged: damaged.map((d, i) => ({ ...d, line: i + 1 })) });
  const a = line('a', '1'), b = line('b', '2'), c = line('c', '3');
  const cut = (l: LogLine) => ({ id: l.id, text: l.text.slice(0, 12) });

  it('takes the intact copy of a record damaged on one side', () => {
    expect(mergeLogSides(side([a, b]), side([a], [cut(b)]), side([a, b, c])).map((l) => l.text)).toEqual([a.text, b.text, c.text]);
    expect(mergeLogSides(side([a, b]), side([a, b, c]), side([a], [cut(b)])).map((l) => l.text)).toEqual([a.text, b.text, c.text]);
  });

  it('keeps a damaged line both sides hold alike', () => {
    expect(mergeLogSides(side([a], [cut(b)]), side([a, c], [cut(b)]), side([a], [cut(b)])).map((l) => l.text)).toEqual([a.text, cut(b).text, c.text]);
  });

  it('refuses to merge a damaged record no side holds intact, or a line with no id', () => {
    expect(() => mergeLogSides(side([a]), side([a], [cut(c)]), side([a, b]))).toThrow(UnmergeableLine);
    expect(() => mergeLogSides(side([a]), side([a]), side([a], [{ text: 'garbage' }]))).toThrow(/line 1 of theirs cannot be read/);
  });
});

describe('withAttributes', () => {
  const ours = attributeLines();
  const current = `${ATTRIBUTES_COMMENT}\n${ours.join('\n')}\n`;
  it.each([
    ['no file', undefined, current],
    ['already current', `*.png binary\n${current}`, `*.png binary\n${current}`],
    ['the unanchored line of an older version, rewritten in place', `*.png binary\n${current.replace('/AGENTS.md', 'AGENTS.md')}docs/x text\n`, `*.png binary\n${current}docs/x text\n`],
    ['old and new line both present: one left', `${current}AGENTS.md merge=agentstate-boot\n`, current],
    ["the user's own use of a driver elsewhere is kept", `docs/AGENTS.md merge=agentstate-boot\n${current}`, `docs/AGENTS.md merge=agentstate-boot\n${current}`],
    ['CRLF line endings kept', current.replace('/AGENTS.md', 'AGENTS.md').replace(/\n/g, '\r\n'), current.replace(/\n/g, '\r\n')],
  ])('%s', (_, before, after) => {
    expect(withAttributes(before)).toBe(after);
  });
});

describe('mergeRuntime per leaf, with clocks that run ahead', () => {
  const now = Date.parse('2026-06-01T12:00:00Z');
  const doc = (updated_at: string, fields: Record<string, unknown>, version = 2) => ({ schema: 1, version, updated_at, fields });
  const base = doc('2026-06-01T09:00:00Z', { phase: 'build' }, 1);

  it('keys set under one map on both sides both survive', () => {
    const merged = mergeRuntime(base, doc('2026-06-01T10:00:00Z', { phase: 'build', deploy: { region: 'eu' } }), doc('2026-06-01T11:00:00Z', { phase: 'build', deploy: { zone: 'z1' } }), { now });
    expect(merged.fields).toEqual({ phase: 'build', deploy: { region: 'eu', zone: 'z1' } });
    expect(merged.merge_notes).toBeUndefined();
  });

  it('a leaf changed on both sides takes the later change and keeps the other in merge_notes', () => {
    const merged = mergeRuntime(base, doc('2026-06-01T10:00:00Z', { phase: 'test' }), doc('2026-06-01T11:00:00Z', { phase: 'deploy' }), { now });
    expect(merged.fields).toEqual({ phase: 'deploy' });
    expect(merged.merge_notes?.join('\n')).toMatch(/phase was "test" on the other side/);
  });

  it('a leaf unset on one side and unchanged on the other is unset; a map replaced by a value keeps the later change', () => {
    const start = doc('2026-06-01T09:00:00Z', { deploy: { region: 'eu' }, keep: 1 }, 1);
    expect(mergeRuntime(start, doc('2026-06-01T10:00:00Z', { keep: 1 }), start, { now }).fields).toEqual({ keep: 1 });
    const merged = mergeRuntime(start, doc('2026-06-01T11:00:00Z', { deploy: 'off', keep: 1 }), doc('2026-06-01T10:00:00Z', { deploy: { region: 'eu', zone: 'z1' }, keep: 1 }), { now });
    expect(merged.fields).toEqual({ deploy: 'off', keep: 1 });
    expect(merged.merge_notes?.join('\n')).toMatch(/deploy\.zone was "z1"/);
  });

  it('an updated_at in the future does not win: the later commit does, and the losing value is noted', () => {
    const hostile = doc('2030-01-01T00:00:00Z', { phase: 'stale' });
    const real = doc('2026-06-01T11:59:00Z', { phase: 'real' });
    const clock = { now, oursCommitted: Date.parse('2026-06-01T10:00:00Z'), theirsCommitted: Date.parse('2026-06-01T11:59:01Z') };
    const merged = mergeRuntime(base, hostile, real, clock);
    expect(merged.fields).toEqual({ phase: 'real' });
    expect(merged.updated_at).toBe('2026-06-01T11:59:00Z');
    expect(merged.merge_notes?.join('\n')).toMatch(/phase was "stale" on the other side.*2030-01-01T00:00:00Z is in the future/);
    // Without commit times, the side whose clock runs ahead still loses.
    expect(mergeRuntime(base, real, hostile, { now }).fields).toEqual({ phase: 'real' });
  });

  it('a future heartbeat does not replace a credible one', () => {
    const ours = { ...doc('2026-06-01T10:00:00Z', {}), heartbeat_at: '2030-01-01T00:00:00Z' };
    const theirs = { ...doc('2026-06-01T10:00:00Z', {}), heartbeat_at: '2026-06-01T11:00:00Z' };
    expect(mergeRuntime(base, ours, theirs, { now }).heartbeat_at).toBe('2026-06-01T11:00:00Z');
  });
});

describe('mergeTasks: tags and depends_on merge as sets', () => {
  it('additions from both sides, removals from either side', () => {
    const base = [task({ tags: ['a', 'b'], depends_on: ['t-x', 't-y'] } as Partial<Task>)];
    const ours = [task({ tags: ['a', 'b', 'c'], depends_on: ['t-y'], version: 2, updated: '2026-01-02T00:00:00Z' } as Partial<Task>)];
    const theirs = [task({ tags: ['b', 'd'], depends_on: ['t-x', 't-y', 't-z'], version: 2, updated: '2026-01-03T00:00:00Z' } as Partial<Task>)];
    const [merged] = mergeTasks(base, ours, theirs);
    expect(merged).toMatchObject({ tags: ['b', 'c', 'd'], depends_on: ['t-y', 't-z'] });
    expect(merged!.notes).toBeUndefined();
  });
});

describe('--once duplicates', () => {
  const rec = (id: string, at: string, once?: string) => ({ id, at, ...(once ? { once } : {}) });
  it('the earliest record of a key owns it; later ones are marked, whatever their order in the file', () => {
    const marked = markOnceDuplicates([rec('ev-b', '2', 'k'), rec('ev-a', '1', 'k'), rec('ev-c', '3'), rec('ev-d', '2', 'k')]);
    expect(marked.map((r) => (r as { duplicate_of?: string }).duplicate_of)).toEqual(['ev-a', undefined, undefined, 'ev-a']);
  });
  it('a task added with one key on two clones: the later is dropped unless started, and says why', () => {
    const tasks = [task({ id: 't-2', created: '2026-01-02T00:00:00Z', once: 'k' } as Partial<Task>), task({ id: 't-1', once: 'k' } as Partial<Task>)];
    const [later] = mergeTasks([], [tasks[0]!], [tasks[1]!]);
    expect(later).toMatchObject({ id: 't-2', status: 'dropped', duplicate_of: 't-1' });
    expect(later!.notes).toMatch(/duplicate of t-1/);
  });
});

describe('latest by time', () => {
  it('the latest record is the one with the greatest time, then id, wherever it sits', () => {
    expect(latestByTime([{ id: 'b', at: '2' }, { id: 'c', at: '3' }, { id: 'a', at: '3' }])?.id).toBe('c');
    expect(latestByTime([])).toBeUndefined();
  });
  it('a segment holds nothing later than the second its name carries', () => {
    expect(segmentCeiling('events.20260305T141502Z.ab12cd.yaml')).toBe('2026-03-05T14:15:02.999Z');
    expect(segmentCeiling('events.yaml')).toBeUndefined();
  });
});
