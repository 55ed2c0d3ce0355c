import { visible } from './text.js';

/**
 * What search (and `resume --focus`) calls a match: text is cut into lower-case words of letters
 * and digits; a query word matches a word of the text that is equal to it or, for a query word of
 * three characters or more, that starts with it ("lock" finds "locking"). Pure.
 */
const WORD = /[\p{L}\p{N}]+/gu;
/** Longer runs (hashes, base64) are not words anyone searches for; they would only fill the index. */
const MAX_WORD = 40;
export const MIN_PREFIX = 3;

export interface Span {
  start: number;
  end: number;
  word: string;
}

/** Every word of a text with where it stands (UTF-16 offsets, as JavaScript and JSON count). */
export function wordSpans(text: string): Span[] {
  const spans: Span[] = [];
  for (const match of text.matchAll(WORD)) {
    if (match[0].length > MAX_WORD) continue;
    spans.push({ start: match.index, end: match.index + match[0].length, word: match[0].toLowerCase() });
  }
  return spans;
}

// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;
const ASCII_WORD = /[a-z0-9]+/g;

/** The words of a text, lower-cased (the same as wordSpans gives; plain ASCII takes a faster path). */
export function words(text: string): string[] {
  const out: string[] = [];
  if (ASCII.test(text)) {
    for (const word of text.toLowerCase().match(ASCII_WORD) ?? []) if (word.length <= MAX_WORD) out.push(word);
    return out;
  }
  for (const match of text.matchAll(WORD)) if (match[0].length <= MAX_WORD) out.push(match[0].toLowerCase());
  return out;
}

/** The distinct words of a query, in order. */
export function queryWords(query: string): string[] {
  return [...new Set(words(query))];
}

/** How well a text word answers a query word: 1 when equal, 0.5 for a prefix match, else 0. */
export function matchWeight(queryWord: string, word: string): number {
  if (word === queryWord) return 1;
  return queryWord.length >= MIN_PREFIX && word.startsWith(queryWord) ? 0.5 : 0;
}

/** Where the query's words stand in a text: [start, end) pairs, in order. */
export function markSpans(text: string, query: string[]): Array<[number, number]> {
  if (query.length === 0) return [];
  return wordSpans(text)
    .filter((span) => query.some((q) => matchWeight(q, span.word) > 0))
    .map((span) => [span.start, span.end]);
}

/** True when any query word matches a word of any of the texts. */
export function matchesAny(query: string[], ...texts: Array<string | undefined>): boolean {
  if (query.length === 0) return true;
  for (const text of texts) {
    if (!text) continue;
    for (const word of words(text)) if (query.some((q) => matchWeight(q, word) > 0)) return true;
  }
  return false;
}

/** True when every query word matches a word of one of the texts (the `resume --focus` filter). */
export function matchesAll(query: string[], ...texts: Array<string | undefined>): boolean {
  const all = texts.flatMap((text) => (text ? words(text) : []));
  return query.every((q) => all.some((word) => matchWeight(q, word) > 0));
}

/**
 * A window of at most `width` characters of a text, around its first mark, with the marks moved
 * to match. An ellipsis shows where the text was cut.
 */
export function snippet(text: string, marks: Array<[number, number]>, width: number): { text: string; marks: Array<[number, number]> } {
  const flat = text.replace(/\s/g, ' ');
  if (flat.length <= width || width < 8) return { text: flat, marks };
  const first = marks[0]?.[0] ?? 0;
  let start = Math.max(0, Math.min(first - Math.floor(width / 4), flat.length - width));
  let end = Math.min(flat.length, start + width);
  const head = start > 0 ? '…' : '';
  const tail = end < flat.length ? '…' : '';
  if (head) start += 1;
  if (tail) end -= 1;
  const shift = head.length - start;
  return {
    text: head + flat.slice(start, end) + tail,
    marks: marks
      .filter(([from, to]) => from >= start && to <= end)
      .map(([from, to]) => [from + shift, to + shift] as [number, number]),
  };
}

/** The text with each mark wrapped by `mark` (e.g. a colour on a terminal); hidden characters written out (`\x1b`). */
export function applyMarks(text: string, marks: Array<[number, number]>, mark: (word: string) => string): string {
  let out = '';
  let at = 0;
  for (const [from, to] of marks) {
    out += visible(text.slice(at, from)) + mark(visible(text.slice(from, to)));
    at = to;
  }
  return out + visible(text.slice(at));
}
