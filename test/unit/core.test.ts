import { describe, expect, it } from 'vitest';
import { anyCycle, findCycle, readyTasks } from '../../src/core/backlog.js';
import { focusMatcher, render, type Snapshot } from '../../src/core/briefing.js';
import { mergeConfig, configProblem, DEFAULT_CONFIG } from '../../src/core/config.js';
import { projectDecisions } from '../../src/core/decisions.js';
import { getPath, parseKey, setPath, unsetPath } from '../../src/core/dotted.js';
import { gitBoolean, settingsIn } from '../../src/git/config-file.js';
import { findOversized, findSecret } from '../../src/core/guards.js';
import { isIdForm, newId, resolveIdPrefix } from '../../src/core/ids.js';
import { parseRecordLine, recordLine, toLineJson } from '../../src/core/line-format.js';
import type { Task } from '../../src/core/schemas.js';
import { escapeField, formatRow, parseRow, unescapeField } from '../../src/core/tsv.js';

const task = (id: string, priority: string, status = 'open', depends_on?: string[]): Task =>
  ({ id, title: id, status, priority, version: 1, created: '2026-01-01T00:00:00Z', updated: '2026-01-01T00:00:00Z', ...(depends_on ? { depends_on } : {}) }) as Task;

describe('line format', () => {
  it.each([
    ['plain', 'hello'],
    ['line separators', 'a\u2028b\u2029c'],
    ['C1 and DEL', '\u0085\u0080\u009f\u007f'],
    ['C0', '\u0000\u0001\t\n\r'],
    ['lone surrogates', '\ud800x\udfff'],
    ['quotes and backslashes', '"\\'],
  ])('keeps %s on one line and round-trips', (_, text) => {
    const line = recordLine({ text });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toMatch(/[\n\r\u0085\u2028\u2029\u007f-\u009f]/);
    const parsed = parseRecordLine(line.slice(0, -1));
    expect(parsed).toEqual({ kind: 'record', value: { text } });
  });

  it('classifies lines', () => {
    expect(parseRecordLine('- {"a":1').kind).toBe('other');
    expect(parseRecordLine('# comment').kind).toBe('blank');
    expect(parseRecordLine('schema: 1').kind).toBe('other');
    expect(toLineJson('\u2028')).toBe('"\\u2028"');
  });
});

describe('tsv', () => {
  it.each(['plain', 'a\tb', 'line\nbreak', 'cr\r', 'back\\slash', '\\t literal', 'mixed\\\t\n'])('round-trips %j', (text) => {
    expect(escapeField(text)).not.toMatch(/[\t\n\r]/);
    expect(unescapeField(escapeField(text))).toBe(text);
  });

  it('rows have the header width', () => {
    const row = { id: 'ct-1', at: 't', control: 'c\t', caught: 'x\ny', agent: 'a', outcome: '', notes: '\\' };
    const line = formatRow(row);
    expect(line.split('\t')).toHaveLength(7);
    expect(parseRow(line.slice(0, -1))).toEqual(row);
    expect(parseRow('too\tfew')).toBeUndefined();
  });
});

describe('ids', () => {
  it('are prefixed, random and accepted by unique prefix', () => {
    const ids = Array.from({ length: 1000 }, () => newId('event'));
    expect(new Set(ids).size).toBe(1000);
    expect(ids.every((id) => /^ev-[0-9a-z]{10}$/.test(id))).toBe(true);
    expect(resolveIdPrefix('decision', 'd-7f3', ['d-7f3a9c2e00', 'd-1111111111'])).toBe('d-7f3a9c2e00');
    expect(resolveIdPrefix('decision', '7f3', ['d-7f3a9c2e00'])).toBe('d-7f3a9c2e00');
  });

  it.each([
    ['../../etc/passwd', 2],
    ['d-', 2],
    ['t-7f', 2],
    ['d-zz', 3],
  ])('rejects %s with exit %i', (text, code) => {
    expect(() => resolveIdPrefix('decision', text, ['d-7f3a9c2e00', 'd-7f3b000000'])).toThrow(expect.objectContaining({ exitCode: code }));
  });

  it('never takes a path for an id', () => {
    expect(isIdForm('t-../x')).toBe(false);
    expect(isIdForm('t-abc/def')).toBe(false);
  });
});

describe('backlog', () => {
  it('next is the best open task whose dependencies are done', () => {
    const tasks = [task('t-a', 'P1'), task('t-b', 'P0', 'open', ['t-a']), task('t-c', 'P2'), task('t-d', 'P0', 'blocked')];
    expect(readyTasks(tasks).map((t) => t.id)).toEqual(['t-a', 't-c']);
    tasks[0]!.status = 'done';
    expect(readyTasks(tasks).map((t) => t.id)).toEqual(['t-b', 't-c']);
  });

  it('finds the cycle a new dependency would close', () => {
    const tasks = [task('t-a', 'P1'), task('t-b', 'P1', 'open', ['t-a']), task('t-c', 'P1', 'open', ['t-b'])];
    expect(findCycle(tasks, 't-a', ['t-c'])).toEqual(['t-a', 't-c', 't-b', 't-a']);
    expect(findCycle(tasks, 't-a', ['t-a'])).toEqual(['t-a', 't-a']);
    expect(findCycle(tasks, 't-c', ['t-a'])).toBeUndefined();
  });
});

describe('decision projection', () => {
  it('closes decisions by outcome and standing orders by revoke', () => {
    const views = projectDecisions([
      { id: 'd-1', kind: 'decision', title: 'a', why: 'w', standing: false, at: '1', agent: 'x' },
      { id: 'd-2', kind: 'decision', title: 'b', why: 'w', standing: true, at: '2', agent: 'x' },
      { id: 'd-3', kind: 'decision', title: 'c', why: 'w', standing: false, at: '3', agent: 'x' },
      { id: 'd-4', kind: 'outcome', decision: 'd-1', status: 'failed', at: '4', agent: 'y' },
      { id: 'd-5', kind: 'revoke', decision: 'd-2', why: 'old', at: '5', agent: 'y' },
      { id: 'd-6', kind: 'outcome', decision: 'd-1', status: 'done', at: '6', agent: 'y' },
    ]);
    expect(views.map((v) => [v.id, v.status])).toEqual([
      ['d-1', 'failed'],
      ['d-2', 'revoked'],
      ['d-3', 'open'],
    ]);
  });
});

describe('briefing', () => {
  const snapshot = (open: number, events: number): Snapshot => ({
    generatedAt: '2026-03-05T12:00:00.000Z',
    repo: { name: 'repo', branch: 'main', head: 'abcdef1234' },
    openDecisions: Array.from({ length: open }, (_, i) => ({ id: `d-open${i}`, at: '2026-03-05T11:00:00.000Z', agent: 'a', title: `open ${i}`, why: 'because', standing: false, tags: [], status: 'open' as const })),
    standing: [],
    inProgress: [],
    blocked: [],
    nextTasks: [task('t-1', 'P1')],
    recentDecisions: [],
    recentEvents: Array.from({ length: events }, (_, i) => ({ id: `ev-${i}`, at: '2026-03-05T11:00:00.000Z', type: 'note', agent: 'a', summary: `event ${i} `.repeat(5) })),
    warnings: [],
  });

  it('never exceeds the budget and cuts events before open decisions', () => {
    for (const budget of [1, 10, 50, 100, 200, 400, 1000]) {
      const { text } = render(snapshot(3, 50), { mode: 'resume', budgetTokens: budget });
      expect(Buffer.byteLength(text), `budget ${budget}`).toBeLessThanOrEqual(budget * 4);
    }
    const { text, cut } = render(snapshot(3, 50), { mode: 'resume', budgetTokens: 200 });
    expect(text).toContain('d-open0');
    expect(cut.events).toBeGreaterThan(0);
    expect(cut.open).toBeUndefined();
  });

  it('a "none" line that gives way to the budget is not counted as a cut item', () => {
    for (const budget of [40, 60, 80, 120]) {
      const { text, cut } = render(snapshot(0, 30), { mode: 'resume', budgetTokens: budget });
      expect(cut.standing, `budget ${budget}`).toBeUndefined();
      expect(cut.open, `budget ${budget}`).toBeUndefined();
      expect(text).not.toMatch(/standing orders|open decisions?[,.]/);
    }
  });

  it('says so when open decisions themselves must be cut', () => {
    const { text, cut } = render(snapshot(40, 0), { mode: 'resume', budgetTokens: 300 });
    expect(cut.open).toBeGreaterThan(0);
    expect(text).toMatch(/… \d+ more not shown \(budget\)/);
  });

  it('the boot rendering carries no clock-dependent text', () => {
    const a = render(snapshot(1, 0), { mode: 'boot', now: 0 }).text;
    const b = render({ ...snapshot(1, 0), generatedAt: '2030-01-01T00:00:00.000Z' }, { mode: 'boot', now: 9e12 }).text;
    expect(a).toBe(b);
  });

  it('focus matches text and tags', () => {
    const match = focusMatcher('Auth');
    expect(match.task({ ...task('t-1', 'P1'), title: 'fix auth flow' })).toBe(true);
    expect(match.task({ ...task('t-2', 'P1'), tags: ['auth'] })).toBe(true);
    expect(match.task(task('t-3', 'P1'))).toBe(false);
  });
});

describe('guards', () => {
  // The secret rules have their own table test: test/unit/secrets.test.ts.
  it('lets ordinary text through and names nested fields', () => {
    const token = ['gh', 'p_', 'R8x2Lq9ZtW4mNc7VbK1sD3fH6jP0yA5eUoGi'].join('');
    expect(findSecret({ summary: 'sk-short, https://example.com/path, ghp_tooshort' })).toBeUndefined();
    expect(findSecret({ data: { list: ['ok', token] } })?.field).toBe('data.list[1]');
    expect(findOversized({ notes: 'x'.repeat(5000) }, 4096)).toMatchObject({ field: 'notes', bytes: 5000 });
  });
});

describe('dotted keys', () => {
  it('sets, gets and unsets nested fields', () => {
    const tree = setPath(setPath({}, ['a', 'b'], 1), ['a', 'c'], 2);
    expect(tree).toEqual({ a: { b: 1, c: 2 } });
    expect(getPath(tree, ['a', 'b'])).toEqual({ found: true, value: 1 });
    expect(unsetPath(unsetPath(tree, ['a', 'b']), ['a', 'c'])).toEqual({});
    expect(parseKey('a..b')).toHaveProperty('problem');
    expect(parseKey('constructor')).toHaveProperty('problem');
  });
});

describe('config and claude settings', () => {
  it('overlays settings and names a wrong type', () => {
    const merged = mergeConfig(DEFAULT_CONFIG as unknown as Record<string, unknown>, { lock: { timeout_ms: 5 }, extra: true });
    expect(merged).toMatchObject({ lock: { timeout_ms: 5, stale_ms: 30000 }, extra: true });
    expect(configProblem(mergeConfig(DEFAULT_CONFIG as unknown as Record<string, unknown>, { git: { commit: 'yes' } }))).toMatch(/^git.commit/);
  });
});

describe('git config reading', () => {
  it.each([
    ['[user]\n\tname = Ada Lovelace\n', 'Ada Lovelace'],
    ['[user]\n\tname = "Quoted Name"\n', 'Quoted Name'],
    ['[core]\n\tname = not this\n[user]\n\temail = a@b\n', undefined],
    ['[user]\n\tname = First\n[user]\n\tname = Second ; comment\n', 'Second'],
    ['[include]\n\tpath = other\n', null],
    ['[user]\n\tname = "esc\\"aped"\n', null],
    ['[user "sub"]\n\tname = not this\n', undefined],
  ])('reads %j', (text, expected) => {
    const settings = settingsIn(text);
    expect(settings === null ? null : settings.get('user.name')).toBe(expected);
  });

  it('reads booleans the way git spells them, a bare key included', () => {
    expect(gitBoolean(settingsIn('[commit]\n\tgpgSign\n')?.get('commit.gpgsign'))).toBe(true);
    expect(gitBoolean(settingsIn('[commit]\n\tgpgsign = off\n')?.get('commit.gpgsign'))).toBe(false);
    expect(gitBoolean(undefined)).toBeUndefined();
  });
});

describe('anyCycle', () => {
  it('finds a cycle anywhere in the graph, or none', () => {
    expect(anyCycle([task('t-a', 'P1', 'open', ['t-b']), task('t-b', 'P1', 'open', ['t-c']), task('t-c', 'P1', 'open', ['t-a'])])).toEqual(['t-a', 't-b', 't-c', 't-a']);
    expect(anyCycle([task('t-a', 'P1', 'open', ['t-b']), task('t-b', 'P1'), task('t-c', 'P1', 'open', ['t-a', 't-b'])])).toBeUndefined();
    expect(anyCycle([task('t-x', 'P1', 'open', ['t-x'])])).toEqual(['t-x', 't-x']);
  });
});
