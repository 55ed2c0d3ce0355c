import { describe, expect, it } from 'vitest';
import { lostRecords, sameRecordIn, type LogText } from '../../src/core/append-only.js';

const log = (...lines: string[]): LogText[] => [{ file: 'events.yaml', kind: 'yaml', text: `schema: 1\nevents:\n${lines.map((line) => `${line}\n`).join('')}` }];
const A = '- {"id":"ev-a","at":"2026-01-01T00:00:00.000Z","summary":"a"}';
const B = '- {"id":"ev-b","at":"2026-01-01T00:00:01.000Z","summary":"b"}';
const A_KEYS_MOVED = '- {"summary":"a","id":"ev-a","at":"2026-01-01T00:00:00.000Z"}';
const A_DAMAGED = '- {"id":"ev-a","at":"2026-01-01T00:00:00.000Z","summ';
const A_REWRITTEN = '- {"id":"ev-a","at":"2026-01-01T00:00:00.000Z","summary":"A"}';

describe('append-only judged by id and content', () => {
  it.each([
    ['the same records in another order', [A, B], [B, A], []],
    ['a record written with its keys in another order', [A], [A_KEYS_MOVED], []],
    ['a record rewritten', [A, B], [A_REWRITTEN, B], [{ file: 'events.yaml', id: 'ev-a', change: 'changed' }]],
    ['a record removed', [A, B], [B], [{ file: 'events.yaml', id: 'ev-a', change: 'removed' }]],
  ])('%s', (_, before, after, lost) => {
    expect(lostRecords(log(...before), log(...after))).toEqual(lost);
  });

  it.each([
    ['the intact copy the other parent holds', [A], [A], true],
    ['the intact copy, against the parent whose copy is damaged', [A], [A_DAMAGED], false],
    ['the same content with its keys in another order', [A_KEYS_MOVED], [A], true],
    ['a version no parent holds', [A_REWRITTEN], [A], false],
    ['a record the parent does not hold', [A], [B], false],
  ])('a merge holding %s', (_, merged, parent, same) => {
    expect(sameRecordIn(log(...merged), log(...parent), 'ev-a')).toBe(same);
  });
});
