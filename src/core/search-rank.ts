import { lookup, type FileIndex } from './search-index.js';
import { matchWeight, MIN_PREFIX } from './search-text.js';

/**
 * BM25 ranking over the indexes of every state file at once (document counts, lengths and word
 * frequencies summed across files, so a word is as rare as it is in the whole state). Any query
 * word may match (OR); documents matching more and rarer words rank first; a prefix match counts
 * half. A decision and the records that close it score as one hit. Pure.
 */
const K1 = 1.2;
const B = 0.75;

export interface RankFilter {
  /** Kind codes to keep (undefined: all). */
  kinds?: ReadonlySet<number>;
  /** Epoch ms: keep records at or after. */
  since?: number;
  agent?: string;
}

export interface RankedHit {
  /** Which index, and which document in it (for a decision: its best matching record). */
  file: number;
  doc: number;
  score: number;
  at: number;
  /** The decision id, for a decision hit. */
  key?: string;
}

export interface Ranking {
  hits: RankedHit[];
  /** How many hits there are in all, before the limit. */
  total: number;
}

export function rank(indexes: FileIndex[], query: string[], filter: RankFilter, limit: number): Ranking {
  const docs = indexes.reduce((sum, index) => sum + index.header.docs, 0);
  if (docs === 0 || query.length === 0 || limit <= 0) return { hits: [], total: 0 };
  const averageLength = indexes.reduce((sum, index) => sum + index.header.totalLength, 0) / docs || 1;
  const entries = query.map((word) => indexes.map((index) => lookup(index, word, word.length >= MIN_PREFIX)));
  const frequency = new Map<string, number>();
  for (const perFile of entries) for (const list of perFile) for (const entry of list) frequency.set(entry.word, (frequency.get(entry.word) ?? 0) + entry.count);

  const scores: Array<Float64Array | undefined> = indexes.map(() => undefined);
  query.forEach((word, q) => {
    indexes.forEach((index, f) => {
      for (const entry of entries[q]![f]!) {
        const df = frequency.get(entry.word)!;
        const weight = matchWeight(word, entry.word) * Math.log(1 + (docs - df + 0.5) / (df + 0.5));
        addScores(index, entry.start * 2, (entry.start + entry.count) * 2, (scores[f] ??= new Float64Array(index.header.docs)), weight, averageLength);
      }
    });
  });
  return collect(indexes, scores, filter, limit);
}

/** BM25's term for one word over its postings, added to each document's score. A tight loop: it runs over 100,000s of postings. */
function addScores(index: FileIndex, from: number, to: number, score: Float64Array, weight: number, averageLength: number): void {
  const { postings, docLength } = index;
  const constant = K1 * (1 - B);
  const perWord = (K1 * B) / averageLength;
  const scale = weight * (K1 + 1);
  for (let p = from; p < to; p += 2) {
    const doc = postings[p]!;
    const tf = postings[p + 1]!;
    score[doc] = score[doc]! + (scale * tf) / (tf + constant + perWord * docLength[doc]!);
  }
}

/** The best hits that pass the filter; a decision and the records closing it add up as one hit. */
function collect(indexes: FileIndex[], scores: Array<Float64Array | undefined>, filter: RankFilter, limit: number): Ranking {
  const top = new TopK(limit);
  const groups = new Map<string, { hit: RankedHit; best: number; isDecision: boolean }>();
  const since = filter.since ?? -Infinity;
  let total = 0;
  // Newest first: among equal scores the newer wins, so older ties are then turned away cheaply.
  for (let f = indexes.length - 1; f >= 0; f--) {
    const index = indexes[f]!;
    const score = scores[f];
    const agent = filter.agent === undefined ? -1 : index.header.agents.indexOf(filter.agent);
    if (!score || (filter.agent !== undefined && agent < 0)) continue;
    const keys = index.header.keys;
    const filtered = filter.since !== undefined || agent >= 0 || filter.kinds !== undefined;
    for (let doc = score.length - 1; doc >= 0; doc--) {
      const value = score[doc]!;
      if (value === 0) continue;
      const at = index.at[doc]!;
      if (filtered && (at < since || (agent >= 0 && index.agent[doc] !== agent) || (filter.kinds && !filter.kinds.has(index.kind[doc]!)))) continue;
      const key = keys[doc];
      if (!key) {
        total++;
        // Most hits of a common word lose to the worst kept one: tell that before making an object.
        if (top.beats(value, at)) top.offer({ file: f, doc, score: value, at });
        continue;
      }
      // The decision's own record stands for the group; else its best matching closing record.
      const group = groups.get(key);
      const isDecision = index.kind[doc] === 3;
      if (!group) groups.set(key, { hit: { file: f, doc, score: value, at, key }, best: value, isDecision });
      else {
        if (isDecision || (!group.isDecision && value > group.best)) Object.assign(group.hit, { file: f, doc, at });
        group.best = Math.max(group.best, value);
        group.isDecision ||= isDecision;
        group.hit.score += value;
      }
    }
  }
  for (const group of groups.values()) {
    total++;
    top.offer(group.hit);
  }
  return { hits: top.sorted(), total };
}

/** Better first: higher score, then newer, then a stable order. */
export function better(a: RankedHit, b: RankedHit): number {
  return b.score - a.score || b.at - a.at || a.file - b.file || a.doc - b.doc;
}

/** The best `size` hits of a stream, kept in a small heap (the worst at the top). */
class TopK {
  private heap: RankedHit[] = [];
  constructor(private readonly size: number) {}

  /** Whether a hit with this score and time could enter (a tie in both still may, by its position). */
  beats(score: number, at: number): boolean {
    const worst = this.heap[0];
    return this.heap.length < this.size || !worst || score > worst.score || (score === worst.score && at >= worst.at);
  }

  offer(hit: RankedHit): void {
    const heap = this.heap;
    if (heap.length < this.size) {
      heap.push(hit);
      this.up(heap.length - 1);
    } else if (better(hit, heap[0]!) < 0) {
      heap[0] = hit;
      this.down(0);
    }
  }

  sorted(): RankedHit[] {
    return [...this.heap].sort(better);
  }

  // The heap's root is the worst hit: "worse" is better() > 0.
  private up(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (better(heap[i]!, heap[parent]!) <= 0) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const heap = this.heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let worst = i;
      if (left < heap.length && better(heap[left]!, heap[worst]!) > 0) worst = left;
      if (right < heap.length && better(heap[right]!, heap[worst]!) > 0) worst = right;
      if (worst === i) return;
      [heap[i], heap[worst]] = [heap[worst]!, heap[i]!];
      i = worst;
    }
  }
}
