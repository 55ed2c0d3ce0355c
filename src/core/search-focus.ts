import { buildIndex } from './search-index.js';
import { rank } from './search-rank.js';
import { eventDoc } from './search-records.js';
import { queryWords } from './search-text.js';

type Rec = Record<string, unknown>;

/**
 * The `count` events that `agentstate search` would rank first for the focus text, in their
 * original (time) order: `resume --focus` shows the most relevant events, not merely the latest.
 * Pure: the same index and BM25 ranking as search, built in memory over the events given.
 */
export function bestMatches(events: Rec[], focus: string, count: number): Rec[] {
  if (events.length <= count) return events;
  const docs = events.map((event, i) => ({ ...eventDoc(event), line: i, offset: 0, length: 0 }));
  const { hits } = rank([buildIndex(docs, { size: 0, mtimeMs: 0 })], queryWords(focus), {}, count);
  const kept = new Set(hits.map((hit) => hit.doc));
  return events.filter((_, i) => kept.has(i));
}
