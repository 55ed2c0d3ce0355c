import { readFileSync } from 'node:fs';
import { catchDoc, codesOf, closingText, decisionDoc, kindOfCode, type SearchKind } from '../core/search-records.js';
import type { CatchRow } from '../core/tsv.js';
import { rank, type RankedHit } from '../core/search-rank.js';
import { markSpans, queryWords } from '../core/search-text.js';
import { parseRecordText } from './record-file.js';
import { docOf, recordOfLine } from './search-docs.js';
import { loadIndexes, readLine, type LoadedIndex } from './search-index.js';
import type { StateContext } from './context.js';

/** `agentstate search`: ranked hits over every state file, each with its line and the words marked. */
export interface SearchHit {
  kind: SearchKind;
  id: string;
  at: string;
  agent: string;
  score: number;
  /** A decision's or a task's status. */
  status?: string;
  priority?: string;
  text: string;
  /** [start, end) of each matched word in `text` (UTF-16 offsets). */
  marks: Array<[number, number]>;
  /** file:line of the record. */
  source: string;
}

export interface SearchOptions {
  kinds?: SearchKind[];
  since?: number;
  agent?: string;
  limit: number;
}

export interface SearchResult {
  hits: SearchHit[];
  total: number;
}

type Rec = Record<string, unknown>;

/** A cached index that no longer matches its file (same size and time, other bytes): index again. */
class StaleIndex extends Error {}

export async function searchState(context: StateContext, query: string, options: SearchOptions): Promise<SearchResult> {
  for (let attempt = 0; ; attempt++) {
    const loaded = await loadIndexes(context, { rebuild: attempt > 0 });
    try {
      return await resolveHits(loaded, queryWords(query), options);
    } catch (error) {
      if (!(error instanceof StaleIndex) || attempt > 0) throw error;
    }
  }
}

async function resolveHits(loaded: LoadedIndex[], query: string[], options: SearchOptions): Promise<SearchResult> {
  const kinds = options.kinds ? new Set(options.kinds.flatMap(codesOf)) : undefined;
  const filter = { ...(kinds ? { kinds } : {}), ...(options.since !== undefined ? { since: options.since } : {}), ...(options.agent !== undefined ? { agent: options.agent } : {}) };
  const ranking = rank(
    loaded.map((entry) => entry.index),
    query,
    filter,
    options.limit,
  );
  const records = new Records(loaded);
  const hits: SearchHit[] = [];
  const taskAt = new Map<string, number>(); // a task sealed, then changed, is in a segment and in backlog.yaml: one hit, the newer copy
  for (const ranked of ranking.hits) {
    const hit = await records.hit(ranked, query);
    const seen = hit.kind === 'task' ? taskAt.get(hit.id) : undefined;
    if (seen === undefined) {
      if (hit.kind === 'task') taskAt.set(hit.id, hits.length);
      hits.push(hit);
    } else if (hit.at > hits[seen]!.at) hits[seen] = { ...hit, score: hits[seen]!.score };
  }
  return { hits, total: ranking.total };
}

/** Reads the records behind hits, once per file for a file without byte positions. */
class Records {
  private parsed = new Map<number, Map<number, Rec>>();
  constructor(private readonly loaded: LoadedIndex[]) {}

  async at(file: number, doc: number): Promise<Rec> {
    const { source, index } = this.loaded[file]!;
    const length = index.length[doc]!;
    let record: Rec | undefined;
    if (length > 0) record = recordOfLine(source.type, readLine(source.path, index.offset[doc]!, length));
    else record = (await this.byLine(file)).get(index.line[doc]!);
    const searchable = record && (source.type === 'catches' || docOf(source.type, record));
    if (!record || !searchable) throw new StaleIndex();
    return record;
  }

  private async byLine(file: number): Promise<Map<number, Rec>> {
    let lines = this.parsed.get(file);
    if (!lines) {
      const { source } = this.loaded[file]!;
      const read = await parseRecordText(readFileSync(source.path, 'utf8'), source.type === 'backlog' ? 'items' : source.type, source.display);
      lines = new Map(read.records.map((entry) => [entry.line, entry.value]));
      this.parsed.set(file, lines);
    }
    return lines;
  }

  async hit(ranked: RankedHit, query: string[]): Promise<SearchHit> {
    const { source, index } = this.loaded[ranked.file]!;
    const kind = kindOfCode(index.kind[ranked.doc]!);
    const where = `${source.display}:${index.line[ranked.doc]}`;
    const score = Math.round(ranked.score * 1000) / 1000;
    if (ranked.key) return this.decisionHit(ranked.key, score, where, query);
    const record = await this.at(ranked.file, ranked.doc);
    const text = source.type === 'catches' ? catchDoc(record as CatchRow).text : docOf(source.type, record)!.text;
    const task = source.type === 'backlog';
    return {
      kind,
      id: String(record.id),
      at: String(task ? (record.updated ?? record.created) : record.at),
      agent: String((task ? record.owner : record.agent) ?? ''),
      score,
      ...(task ? { status: String(record.status), priority: String(record.priority) } : {}),
      text,
      marks: markSpans(text, query),
      source: where,
    };
  }

  /** A decision with what closed it: its own record and the first outcome or revocation, wherever they are. */
  private async decisionHit(key: string, score: number, where: string, query: string[]): Promise<SearchHit> {
    let decision: { record: Rec; where: string } | undefined;
    let closing: Rec | undefined;
    for (let file = 0; file < this.loaded.length; file++) {
      const { source, index } = this.loaded[file]!;
      const keys = index.header.keys;
      if (source.type !== 'decisions' || keys.length === 0) continue;
      for (let doc = keys.indexOf(key); doc >= 0; doc = keys.indexOf(key, doc + 1)) {
        if (index.kind[doc] === 3 && !decision) decision = { record: await this.at(file, doc), where: `${source.display}:${index.line[doc]}` };
        if (index.kind[doc] === 4 && !closing) closing = await this.at(file, doc);
      }
    }
    const own = decision ? decisionDoc(decision.record)!.text : '';
    const closed = closing ? closingText(closing) : '';
    const text = [own, closed].filter(Boolean).join(' → ');
    const status = closing ? (closing.kind === 'revoke' ? 'revoked' : String(closing.status)) : decision?.record.standing === true ? 'standing' : 'open';
    return {
      kind: 'decision',
      id: key,
      at: String(decision?.record.at ?? closing?.at ?? ''),
      agent: String(decision?.record.agent ?? closing?.agent ?? ''),
      score,
      status,
      text,
      marks: markSpans(text, query),
      source: decision?.where ?? where,
    };
  }
}
