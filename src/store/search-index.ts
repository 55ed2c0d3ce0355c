import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { buildIndex, decodeIndex, encodeIndex, type FileIndex } from '../core/search-index.js';
import { localPath } from './local.js';
import { placedDocs, searchSources, type SearchSource } from './search-docs.js';
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
    const cached = rebuild ? undefined : readCached(join(dir, name));
    const fresh = cached && cached.header.source.size === stat.size && cached.header.source.mtimeMs === stat.mtimeMs ? cached : undefined;
    const index = fresh ?? (await indexFile(context, source, { size: stat.size, mtimeMs: stat.mtimeMs }, join(dir, name)));
    loaded.push({ source, index });
  }
  removeOrphans(dir, names);
  return loaded;
}

function readCached(path: string): FileIndex | undefined {
  try {
    return decodeIndex(readFileSync(path));
  } catch {
    return undefined;
  }
}

async function indexFile(context: StateContext, source: SearchSource, stat: { size: number; mtimeMs: number }, cachePath: string): Promise<FileIndex> {
  const bytes = readFileSync(source.path);
  const index = buildIndex(await placedDocs(source, bytes), stat);
  // The file changed while it was read: use this index now, but do not keep it.
  if (bytes.length !== stat.size) return index;
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
