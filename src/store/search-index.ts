import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { decodeIndex, encodeIndex } from '../core/search-index-bytes.js';
import type { FileIndex, SourceStamp } from '../core/search-index.js';
import { localPath } from './local.js';
import { indexSource, searchSources, type SearchSource } from './search-docs.js';
import type { StateContext } from './context.js';

/**
 * The search index of every state file, one cached index per file under the git dir (never in
 * git, never a source of truth). A file whose size or modification time differs from what its
 * index was built from is indexed again; an index whose file is gone is removed.
 */
export interface LoadedIndex {
  source: SearchSource;
  index: FileIndex;
}

const cacheDir = (context: StateContext) => localPath(context, 'search');
const cacheName = (source: SearchSource) => `${createHash('sha1').update(source.display).digest('hex').slice(0, 12)}-${basename(source.path)}.idx`;

/** Appended bytes indexed on the fly, not kept: past this much, the whole file is indexed again and kept. */
const DELTA_BYTES = 64 * 1024;
const APPEND_ONLY = new Set(['events', 'decisions', 'catches']);
const digest = (bytes: Buffer) => createHash('sha1').update(bytes).digest('hex');

export async function loadIndexes(context: StateContext, { rebuild = false } = {}): Promise<LoadedIndex[]> {
  const dir = cacheDir(context);
  const loaded: LoadedIndex[] = [];
  const names = new Set<string>();
  for (const source of searchSources(context)) {
    let stat;
    try {
      stat = statSync(source.path);
    } catch {
      continue;
    }
    const name = cacheName(source);
    names.add(name);
    const stamp = { size: stat.size, mtimeMs: stat.mtimeMs };
    const cached = rebuild ? undefined : readCached(join(dir, name));
    if (cached && cached.header.source.size === stat.size && cached.header.source.mtimeMs === stat.mtimeMs) {
      loaded.push({ source, index: cached });
      continue;
    }
    const bytes = readFileSync(source.path);
    const appended = cached && APPEND_ONLY.has(source.type) ? await indexAppended(source, cached, bytes, stamp) : undefined;
    if (appended) loaded.push({ source, index: cached! }, { source, index: appended });
    else loaded.push({ source, index: await indexFile(context, source, bytes, stamp, join(dir, name)) });
  }
  removeOrphans(dir, names);
  return loaded;
}

/**
 * An append-only log that grew since its index was kept: when the bytes the index covers are
 * unchanged (same hash), only what was appended is indexed, and the two indexes are searched
 * together. A log that changed otherwise (sealed, rewritten) is indexed again as a whole.
 */
async function indexAppended(source: SearchSource, cached: FileIndex, bytes: Buffer, stamp: SourceStamp): Promise<FileIndex | undefined> {
  const { covered, lines, hash } = cached.header.source;
  if (covered === undefined || lines === undefined || hash === undefined) return undefined;
  if (bytes.length < covered || bytes.length - covered > DELTA_BYTES || digest(bytes.subarray(0, covered)) !== hash) return undefined;
  return indexSource(source, bytes.subarray(covered), stamp, { offset: covered, line: lines + 1 });
}

function readCached(path: string): FileIndex | undefined {
  try {
    return decodeIndex(readFileSync(path));
  } catch {
    return undefined;
  }
}

async function indexFile(context: StateContext, source: SearchSource, bytes: Buffer, stamp: SourceStamp, cachePath: string): Promise<FileIndex> {
  const index = (await indexSource(source, bytes, stamp))!;
  // The file changed between its stat and its read: use this index now, but do not keep it.
  if (bytes.length !== stamp.size) return index;
  const covered = index.header.source.covered;
  if (covered !== undefined) index.header.source.hash = digest(bytes.subarray(0, covered));
  try {
    mkdirSync(cacheDir(context), { recursive: true });
    const temp = `${cachePath}.${process.pid}.tmp`;
    writeFileSync(temp, encodeIndex(index));
    renameSync(temp, cachePath);
  } catch {
    /* a cache only: a read-only git dir just means indexing again next time */
  }
  return index;
}

function removeOrphans(dir: string, keep: Set<string>): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) if (name.endsWith('.idx') && !keep.has(name)) rmSync(join(dir, name), { force: true });
}

/** The text of the line a document came from (length 0: the caller re-reads the file by line). */
export function readLine(path: string, offset: number, length: number): string {
  const fd = openSync(path, 'r');
  try {
    const bytes = Buffer.alloc(length);
    readSync(fd, bytes, 0, length, offset);
    return bytes.toString('utf8').replace(/\r$/, '');
  } finally {
    closeSync(fd);
  }
}
