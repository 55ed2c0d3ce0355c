import { describe, expect, it } from 'vitest';
import { buildIndex, lookup, type PlacedDoc } from '../../src/core/search-index.js';
import { decodeIndex, encodeIndex } from '../../src/core/search-index-bytes.js';
import { rank } from '../../src/core/search-rank.js';
import { KIND_CODE, catchDoc, decisionDoc, eventDoc, taskDoc } from '../../src/core/search-records.js';
import { applyMarks, markSpans, matchesAny, queryWords, snippet, words } from '../../src/core/search-text.js';
import { focusMatcher } from '../../src/core/briefing.js';
import { bestMatches } from '../../src/core/search-focus.js';

const placed = (docs: Array<Partial<PlacedDoc> & { text: string }>): PlacedDoc[] =>
  docs.map((doc, i) => ({ kind: KIND_CODE.event, at: i * 1000, agent: 'a', line: i + 1, offset: i * 100, length: 99, ...doc }));

describe('search words', () => {
  it.each([
    ['Use optimistic-locking, v2!', ['use', 'optimistic', 'locking', 'v2']],
    ['Ärger über Größe', ['ärger', 'über', 'größe']],
    ['p99 = 120ms', ['p99', '120ms']],
    ['', []],
  ])('cuts %j into lower-case words', (text, expected) => {
    expect(words(text)).toEqual(expected);
  });

  it('marks equal words and, from three letters on, words a query word starts', () => {
    const text = 'Lock the locks; a lo is not marked, LOCKING is';
    expect(markSpans(text, queryWords('lock lo')).map(([from, to]) => text.slice(from, to))).toEqual(['Lock', 'locks', 'lo', 'LOCKING']);
    expect(applyMarks('a lock here', markSpans('a lock here', ['lock']), (word) => `[${word}]`)).toBe('a [lock] here');
  });

  it('cuts a long line around its first mark and moves the marks', () => {
    const text = `${'x '.repeat(50)}needle ${'y '.repeat(50)}`;
    const cut = snippet(text, markSpans(text, ['needle']), 40);
    expect(cut.text.length).toBeLessThanOrEqual(40);
    expect(cut.text.startsWith('…') && cut.text.endsWith('…')).toBe(true);
    const [[from, to]] = cut.marks as [[number, number]];
    expect(cut.text.slice(from, to)).toBe('needle');
  });

  it('matchesAny is the --focus filter', () => {
    expect(matchesAny(['redis'], 'Switch cache to Redis')).toBe(true);
    expect(matchesAny(['redis'], 'Switch cache', undefined)).toBe(false);
    expect(matchesAny(['cach'], 'caching')).toBe(true);
  });
});

describe('search index', () => {
  it('round-trips through its bytes and finds words and prefixes', () => {
    const index = buildIndex(placed([{ text: 'lock the door' }, { text: 'locking is hard', agent: 'b' }, { text: 'door' }]), { size: 10, mtimeMs: 5 });
    const bytes = encodeIndex(index);
    // Typed arrays need aligned memory: decode from an odd offset too.
    const shifted = Buffer.concat([Buffer.alloc(3), bytes]).subarray(3);
    const decoded = decodeIndex(shifted)!;
    expect(decoded.header).toEqual(index.header);
    expect([...decoded.offset]).toEqual([0, 100, 200]);
    expect(lookup(decoded, 'lock', true).map((entry) => entry.word)).toEqual(['lock', 'locking']);
    expect(lookup(decoded, 'lock', false).map((entry) => entry.word)).toEqual(['lock']);
    expect(lookup(decoded, 'door', false)[0]!.count).toBe(2);
    expect(lookup(decoded, 'zebra', true)).toEqual([]);
    expect(decodeIndex(Buffer.from('not an index'))).toBeUndefined();
    expect(decodeIndex(bytes.subarray(0, bytes.length - 1))).toBeUndefined();
  });
});

describe('BM25 ranking', () => {
  const index = (docs: Array<Partial<PlacedDoc> & { text: string }>) => buildIndex(placed(docs), { size: 0, mtimeMs: 0 });

  it('ranks rarer words and more matches first, a prefix match below an equal one', () => {
    const idx = index([
      { text: 'common words only' },
      { text: 'common rare' },
      { text: 'common' },
      { text: 'rarely common' },
      { text: 'common common' },
    ]);
    const { hits, total } = rank([idx], ['rare', 'common'], {}, 10);
    expect(total).toBe(5);
    expect(hits.map((hit) => hit.doc).slice(0, 2)).toEqual([1, 3]);
  });

  it('scores across files as one collection, keeps the newest of equal hits, honours the limit', () => {
    const old = index([{ text: 'same words', at: 1 }]);
    const newer = index([{ text: 'same words', at: 2 }]);
    const { hits, total } = rank([old, newer], ['same'], {}, 1);
    expect(total).toBe(2);
    expect(hits).toEqual([expect.objectContaining({ file: 1, doc: 0 })]);
  });

  it('filters by kind, time and agent', () => {
    const idx = index([
      { text: 'deploy', kind: KIND_CODE.event, at: 10, agent: 'x' },
      { text: 'deploy', kind: KIND_CODE.task, at: 20, agent: 'y' },
      { text: 'deploy', kind: KIND_CODE.catch, at: 30, agent: 'x' },
    ]);
    const docs = (filter: Parameters<typeof rank>[2]) => rank([idx], ['deploy'], filter, 10).hits.map((hit) => hit.doc).sort();
    expect(docs({ kinds: new Set([KIND_CODE.task]) })).toEqual([1]);
    expect(docs({ since: 20 })).toEqual([1, 2]);
    expect(docs({ agent: 'x' })).toEqual([0, 2]);
    expect(docs({ agent: 'nobody' })).toEqual([]);
  });

  it('a decision and its outcome add up to one hit, the decision standing for it', () => {
    const chain = index([
      { ...decisionDoc({ kind: 'decision', id: 'd-1', at: '2026-01-01T00:00:00Z', agent: 'a', title: 'Use redis', why: 'speed' })!, text: 'Use redis · why: speed' },
      { ...decisionDoc({ kind: 'outcome', id: 'd-2', decision: 'd-1', status: 'done', note: 'redis shipped', at: '2026-01-02T00:00:00Z', agent: 'a' })! },
      { ...decisionDoc({ kind: 'decision', id: 'd-3', at: '2026-01-03T00:00:00Z', agent: 'a', title: 'Use redis for sessions', why: 'x' })! },
    ]);
    const { hits, total } = rank([chain], ['redis'], {}, 10);
    expect(total).toBe(2);
    expect(hits[0]).toEqual(expect.objectContaining({ key: 'd-1', doc: 0 }));
  });
});

describe('searchable text of records', () => {
  it('holds every searched field of each kind', () => {
    expect(eventDoc({ type: 'bench', summary: 'p99 120 ms', ref: 'bench/cache.md', data: { runs: 3 }, at: 'x', agent: 'a' }).text).toBe('[bench] p99 120 ms · bench/cache.md · runs: 3');
    expect(eventDoc({ type: 'handoff', summary: 'handoff', data: { done: ['a', 'b'], remaining: ['c'] }, at: 'x', agent: 'a' })).toMatchObject({ kind: KIND_CODE.handoff, text: 'done: a; b · remaining: c' });
    expect(decisionDoc({ kind: 'revoke', decision: 'd-1', why: 'trunk-based now' })).toMatchObject({ key: 'd-1', text: 'revoked: trunk-based now' });
    expect(taskDoc({ title: 'Migrate', epic: 'db', tags: ['sql'], notes: 'slow', owner: 'w1', updated: '2026-01-01T00:00:00Z' })).toMatchObject({ agent: 'w1', text: 'Migrate · epic: db · tags: sql · slow' });
    expect(catchDoc({ id: 'ct-1', at: 'x', control: 'lint', caught: 'unused import', agent: 'a', outcome: 'fixed', notes: '' }).text).toBe('lint: unused import · fixed');
  });
});

describe('resume --focus, by the rules of search', () => {
  const task = (title: string) => ({ id: 't-1', title, status: 'open', priority: 'P1', version: 1, created: 'x', updated: 'x' }) as never;

  it('matches whole words (and longer words a word of 3+ letters starts), every focus word somewhere', () => {
    const match = focusMatcher('log');
    expect(match.task(task('rotate the log files'))).toBe(true);
    expect(match.task(task('logging is noisy'))).toBe(true);
    expect(match.task(task('update the catalog'))).toBe(false);
    const both = focusMatcher('redis timeout');
    expect(both.task(task('Redis: raise the timeout'))).toBe(true);
    expect(both.task(task('Redis only'))).toBe(false);
    expect(focusMatcher('Auth').decision({ id: 'd-1', at: '', agent: '', title: 'x', why: 'y', standing: false, tags: ['auth'], status: 'open' })).toBe(true);
  });

  it('keeps the events search ranks first, in time order', () => {
    const events = [
      { id: 'ev-1', summary: 'redis timeout', type: 'note' },
      ...Array.from({ length: 12 }, (_, i) => ({ id: `ev-${i + 2}`, summary: `a long note about many things where redis is mentioned once, number ${i}`, type: 'note' })),
      { id: 'ev-99', summary: 'redis timeout again', type: 'note' },
    ];
    const kept = bestMatches(events, 'redis timeout', 3).map((event) => event.id);
    expect(kept).toEqual(['ev-1', kept[1], 'ev-99']);
    expect(bestMatches(events.slice(0, 2), 'redis', 5)).toHaveLength(2);
  });
});
