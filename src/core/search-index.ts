import { words } from './search-text.js';
import type { SearchDoc } from './search-records.js';

/**
 * The search index of one state file, as one binary buffer that loads without parsing: typed
 * arrays for the documents and postings, and a dictionary of words as one text that a lookup
 * scans with indexOf. A derived cache, never a source of truth (the store decides when to
 * rebuild it). A JSON index of the large benchmark state takes ~0.8 s to load; this one takes
 * a few ms. Pure: search-index-bytes.ts turns it into bytes, the store reads and writes them.
 */
export const INDEX_VERSION = 1;

export interface PlacedDoc extends SearchDoc {
  /** Where the record's line is in its file: 1-based line, byte offset and length. */
  line: number;
  offset: number;
  length: number;
}

export interface SourceStamp {
  size: number;
  mtimeMs: number;
  /** Bytes up to the end of the last complete line, the lines in them, and their hash: an appended file is indexed from there. */
  covered?: number;
  lines?: number;
  hash?: string;
}

export interface IndexHeader {
  version: number;
  /** The file it was built from, as it was. */
  source: SourceStamp;
  docs: number;
  postings: number;
  totalLength: number;
  agents: string[];
  keys: string[];
  dictBytes: number;
}

export interface FileIndex {
  header: IndexHeader;
  line: Uint32Array;
  offset: Uint32Array;
  length: Uint32Array;
  at: Float64Array;
  agent: Uint32Array;
  kind: Uint8Array;
  docLength: Uint16Array;
  /** Pairs: document number, times the word occurs in it. */
  postings: Uint32Array;
  /** "\nword\tstart\tcount" lines, sorted by word; start and count in base 36. */
  dict: string;
}

/** Builds an index one document at a time, so that a document's text is garbage at once. */
export class IndexBuilder {
  private readonly columns = { line: [] as number[], offset: [] as number[], length: [] as number[], at: [] as number[], agent: [] as number[], kind: [] as number[], docLength: [] as number[] };
  private readonly agents: string[] = [];
  private readonly agentNumber = new Map<string, number>();
  private readonly keys: string[] = [];
  private hasKeys = false;
  /** Per word: its postings (document, count) and the last document it was seen in. */
  private readonly byWord = new Map<string, { postings: number[]; last: number }>();
  private totalLength = 0;
  private count = 0;

  add(doc: PlacedDoc): void {
    const i = this.count++;
    let agent = this.agentNumber.get(doc.agent);
    if (agent === undefined) {
      agent = this.agents.push(doc.agent) - 1;
      this.agentNumber.set(doc.agent, agent);
    }
    const columns = this.columns;
    columns.line.push(doc.line);
    columns.offset.push(doc.offset);
    columns.length.push(doc.length);
    columns.at.push(doc.at);
    columns.agent.push(agent);
    columns.kind.push(doc.kind);
    this.keys.push(doc.key ?? '');
    if (doc.key !== undefined) this.hasKeys = true;
    const list = words(doc.text);
    columns.docLength.push(Math.min(list.length, 65535));
    this.totalLength += list.length;
    for (const word of list) {
      const entry = this.byWord.get(word);
      if (!entry) this.byWord.set(word, { postings: [i, 1], last: i });
      else if (entry.last === i) entry.postings[entry.postings.length - 1]!++;
      else {
        entry.postings.push(i, 1);
        entry.last = i;
      }
    }
  }

  finish(source: IndexHeader['source']): FileIndex {
    const sorted = [...this.byWord.keys()].sort();
    let total = 0;
    for (const word of sorted) total += this.byWord.get(word)!.postings.length;
    const postings = new Uint32Array(total);
    const dict: string[] = [''];
    let at = 0;
    for (const word of sorted) {
      const list = this.byWord.get(word)!.postings;
      postings.set(list, at);
      dict.push(`${word}\t${(at / 2).toString(36)}\t${(list.length / 2).toString(36)}`);
      at += list.length;
    }
    const text = dict.join('\n') + '\n';
    const c = this.columns;
    const header: IndexHeader = {
      version: INDEX_VERSION,
      source,
      docs: this.count,
      postings: total / 2,
      totalLength: this.totalLength,
      agents: this.agents,
      keys: this.hasKeys ? this.keys : [],
      dictBytes: Buffer.byteLength(text),
    };
    return {
      header,
      line: Uint32Array.from(c.line),
      offset: Uint32Array.from(c.offset),
      length: Uint32Array.from(c.length),
      at: Float64Array.from(c.at),
      agent: Uint32Array.from(c.agent),
      kind: Uint8Array.from(c.kind),
      docLength: Uint16Array.from(c.docLength),
      postings,
      dict: text,
    };
  }
}

export function buildIndex(docs: PlacedDoc[], source: IndexHeader['source']): FileIndex {
  const builder = new IndexBuilder();
  for (const doc of docs) builder.add(doc);
  return builder.finish(source);
}

export interface WordEntry {
  word: string;
  start: number;
  count: number;
}

/** The dictionary entries for a query word: the word itself, and every word it starts when `prefix`. */
export function lookup(index: FileIndex, word: string, prefix: boolean): WordEntry[] {
  const found: WordEntry[] = [];
  const dict = index.dict;
  let at = dict.indexOf(`\n${word}${prefix ? '' : '\t'}`);
  while (at >= 0) {
    const tab = dict.indexOf('\t', at + 1);
    const tab2 = dict.indexOf('\t', tab + 1);
    const end = dict.indexOf('\n', tab2 + 1);
    const entry = dict.slice(at + 1, tab);
    if (!entry.startsWith(word)) break;
    found.push({ word: entry, start: parseInt(dict.slice(tab + 1, tab2), 36), count: parseInt(dict.slice(tab2 + 1, end), 36) });
    if (!prefix) break;
    at = end < dict.length - 1 ? end : -1;
  }
  return found;
}
