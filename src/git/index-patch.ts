import { createHash } from 'node:crypto';
import { knownShape, type IndexShape } from './index-shape.js';

/**
 * Point existing index entries at new blobs, in-process, under git's own index.lock protocol.
 *
 * Why not `git update-index --index-info`: it reads and rewrites the whole index, 30 ms for the
 * 4 MB index of a 50,000-file repository (measured), which alone would make a state write there
 * 1.4x the same write in a small repository. Here the entries keep their place and size (only
 * the object name and the stat data change), so the file is patched in place: the cache tree of
 * the changed directories is invalidated, the end-of-entries and offset-table extensions (pure
 * speed-ups git rebuilds) are dropped, and the trailing checksum is recomputed.
 *
 * Stat data is zeroed, as `update-index --cacheinfo` does: git then compares the content on its
 * next `status` instead of trusting a time stamp (the work tree may have changed meanwhile).
 *
 * 'conflicted': an entry has a merge stage; 'unsupported': a path is not in the index yet, a
 * split or sparse index, a skip-worktree entry, an index version this does not know — the caller
 * then lets git itself do it.
 */
export interface IndexUpdate {
  path: string; // repo-relative, '/'-separated
  sha: string;
}

export type PatchProblem = 'conflicted' | 'unsupported';
/**
 * The patched index as the parts it is written from (the entries, each extension, the checksum):
 * written with one writev, never joined into one 4 MB buffer first (a copy that cost ~3 ms in a
 * 50,000-file repository).
 */
export interface PatchedIndex {
  parts: Buffer[];
  /** Where its entries end and where the patched ones are, for the next patch (index-shape.ts). */
  shape: IndexShape;
}

const DROPPED_EXTENSIONS = new Set(['EOIE', 'IEOT']);
const UNSUPPORTED_EXTENSIONS = new Set(['link', 'sdir']);

export function patch(index: Buffer, updates: IndexUpdate[], hexLength: number, remembered?: IndexShape): PatchedIndex | PatchProblem {
  const shaBytes = hexLength / 2;
  if (index.length < 12 + shaBytes || index.toString('latin1', 0, 4) !== 'DIRC') return 'unsupported';
  const version = index.readUInt32BE(4);
  if (version < 2 || version > 4) return 'unsupported';
  const count = index.readUInt32BE(8);
  const wanted = new Map(updates.map((update) => [update.path, update.sha]));
  const out = index.subarray(0, index.length - shaBytes); // patched in place: the buffer is ours (read for this patch)
  const entries: Scan = { at: 12, found: 0, offsets: {} };
  const known = knownShape(index, shaBytes, [...wanted.keys()], remembered);
  const problem = known
    ? patchKnown(out, shaBytes, wanted, known, entries)
    : version === 4
      ? patchEntriesV4(out, count, shaBytes, wanted, entries)
      : patchEntries(out, count, shaBytes, wanted, entries);
  if (problem) return problem;
  let at = entries.at;
  if (entries.found !== wanted.size) return 'unsupported';
  const entriesEnd = at;
  const extensions: Buffer[] = [];
  const dirs = changedDirectories(updates.map((update) => update.path));
  while (at + 8 <= out.length) {
    const signature = out.toString('latin1', at, at + 4);
    const size = out.readUInt32BE(at + 4);
    const body = out.subarray(at + 8, at + 8 + size);
    at += 8 + size;
    if (UNSUPPORTED_EXTENSIONS.has(signature)) return 'unsupported';
    if (DROPPED_EXTENSIONS.has(signature)) continue;
    const kept = signature === 'TREE' ? invalidateTree(body, dirs, shaBytes) : [body];
    const header = Buffer.alloc(8);
    header.write(signature, 0, 'latin1');
    header.writeUInt32BE(kept.reduce((sum, part) => sum + part.length, 0), 4);
    extensions.push(header, ...kept);
  }
  const parts = [out.subarray(0, entriesEnd), ...extensions];
  let checksum = Buffer.alloc(shaBytes); // index.skipHash: git writes no checksum
  if (!index.subarray(index.length - shaBytes).every((byte) => byte === 0)) {
    const hash = createHash(shaBytes === 20 ? 'sha1' : 'sha256');
    for (const part of parts) hash.update(part);
    checksum = hash.digest();
  }
  return { parts: [...parts, checksum], shape: { checksum: checksum.toString('hex'), size: index.length, entriesEnd, offsets: entries.offsets } };
}

interface Scan {
  at: number; // where the next entry starts (after the loop: where the extensions start)
  found: number;
  offsets: Record<string, number>; // where the patched entries and the other entries of their folders start
}

/** The entries where the remembered shape of this very index says they are (index-shape.ts). */
function patchKnown(out: Buffer, shaBytes: number, wanted: Map<string, string>, known: IndexShape, scan: Scan): PatchProblem | undefined {
  Object.assign(scan.offsets, known.offsets); // an in-place patch moves no entry
  for (const [path, sha] of wanted) {
    const problem = patchEntry(out, known.offsets[path]!, shaBytes, sha, path, scan);
    if (problem) return problem;
  }
  scan.at = known.entriesEnd;
  return undefined;
}

/**
 * Index versions 2 and 3: walk the entries by their lengths, decoding only names of a wanted length
 * (the length is in the flags). Plain byte reads, no calls: this loop runs 50,000 times in a
 * 50,000-file repository, once per command, mostly before V8 has optimized it.
 */
function patchEntries(out: Buffer, count: number, shaBytes: number, wanted: Map<string, string>, scan: Scan): PatchProblem | undefined {
  const wantedLength = new Uint8Array(0x1000);
  for (const path of wanted.keys()) wantedLength[Math.min(Buffer.byteLength(path), 0x0fff)] = 1;
  // The folders of the wanted paths (the state folder): where every entry is remembered, so that
  // the next command finds its own files in the shape whichever of them it writes.
  const folders = [...new Set([...wanted.keys()].map((path) => path.slice(0, path.lastIndexOf('/') + 1)).filter(Boolean))].map((folder) => Buffer.from(folder));
  const firstBytes = new Uint8Array(0x100);
  for (const folder of folders) firstBytes[folder[0]!] = 1;
  const flagsAt = 40 + shaBytes;
  let at = scan.at;
  for (let i = 0; i < count; i++) {
    const start = at;
    const high = out[start + flagsAt]!;
    const nameLength = ((high & 0x0f) << 8) | out[start + flagsAt + 1]!;
    const nameAt = start + flagsAt + 2 + (high & 0x40 ? 2 : 0);
    let end = nameAt + nameLength;
    if (nameLength === 0x0fff || out[end] !== 0) end = out.indexOf(0, nameAt);
    at = start + ((end - start + 8) & ~7); // the entry and its NUL padding, to a multiple of 8
    const remember = firstBytes[out[nameAt]!] === 1 && folders.some((folder) => end - nameAt > folder.length && out.subarray(nameAt, nameAt + folder.length).equals(folder));
    if (!remember && (scan.found === wanted.size || wantedLength[nameLength] === 0)) continue;
    const path = out.toString('utf8', nameAt, end);
    if (remember && (out.readUInt16BE(start + flagsAt) & 0x3000) === 0) scan.offsets[path] = start;
    const problem = patchEntry(out, start, shaBytes, wanted.get(path), path, scan);
    if (problem) return problem;
  }
  scan.at = at;
  return undefined;
}

/** Index version 4: names are compressed against the previous one, so each is decoded. */
function patchEntriesV4(out: Buffer, count: number, shaBytes: number, wanted: Map<string, string>, scan: Scan): PatchProblem | undefined {
  let at = scan.at;
  let previous = '';
  for (let i = 0; i < count; i++) {
    const start = at;
    const extended = (out.readUInt16BE(start + 40 + shaBytes) & 0x4000) !== 0;
    let nameAt = start + 40 + shaBytes + 2 + (extended ? 2 : 0);
    let strip = 0;
    let byte: number;
    let shift = 0;
    // git's offset varint: each continuation adds one before shifting
    do {
      byte = out[nameAt++]!;
      strip = shift === 0 ? byte & 0x7f : ((strip + 1) << 7) | (byte & 0x7f);
      shift++;
    } while (byte & 0x80);
    const end = out.indexOf(0, nameAt);
    const path = previous.slice(0, previous.length - strip) + out.toString('utf8', nameAt, end);
    at = end + 1;
    previous = path;
    const problem = patchEntry(out, start, shaBytes, wanted.get(path), path, scan);
    if (problem) return problem;
  }
  scan.at = at;
  return undefined;
}

/** Point one entry at its new blob (`sha` undefined: not a wanted entry), stat data zeroed. */
function patchEntry(out: Buffer, start: number, shaBytes: number, sha: string | undefined, path: string, scan: Scan): PatchProblem | undefined {
  if (sha === undefined) return undefined;
  const flags = out.readUInt16BE(start + 40 + shaBytes);
  if ((flags & 0x3000) !== 0) return 'conflicted';
  if ((flags & 0x4000) !== 0 && (out.readUInt16BE(start + 42 + shaBytes) & 0x4000) !== 0) return 'unsupported'; // skip-worktree
  out.fill(0, start, start + 24); // ctime, mtime, dev, ino
  out.fill(0, start + 28, start + 40); // uid, gid, size (mode at +24 stays)
  Buffer.from(sha, 'hex').copy(out, start + 40);
  scan.found++;
  scan.offsets[path] = start;
  return undefined;
}

/** '' for the root and every directory above a changed path. */
function changedDirectories(paths: string[]): Set<string> {
  const dirs = new Set<string>(['']);
  for (const path of paths) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return dirs;
}

/**
 * The cache-tree extension with the nodes of changed directories marked invalid (entry count -1,
 * no object name), as parts: the runs of unchanged nodes are slices of `body`, only the rewritten
 * node headers are new buffers (a 50,000-file repository's tree has hundreds of nodes, few change).
 */
function invalidateTree(body: Buffer, dirs: Set<string>, shaBytes: number): Buffer[] {
  const parts: Buffer[] = [];
  let at = 0;
  let keptFrom = 0; // start of the run of unchanged bytes not pushed yet
  // `parent`: the path of the parent node, null when it is not a changed directory (then no node below it is one).
  const node = (parent: string | null, isRoot: boolean): void => {
    const start = at;
    const nul = body.indexOf(0, at);
    const newline = body.indexOf(0x0a, nul);
    const [entries, subtrees] = body.toString('latin1', nul + 1, newline).split(' ').map(Number) as [number, number];
    at = newline + 1 + (entries >= 0 ? shaBytes : 0);
    let path: string | null = null;
    if (parent !== null) {
      const name = body.toString('utf8', start, nul);
      path = isRoot ? '' : parent === '' ? name : `${parent}/${name}`;
      if (!dirs.has(path)) path = null;
      else if (entries >= 0) {
        if (start > keptFrom) parts.push(body.subarray(keptFrom, start));
        parts.push(Buffer.from(`${name}\0-1 ${subtrees}\n`, 'utf8'));
        keptFrom = at;
      }
    }
    for (let i = 0; i < subtrees; i++) node(path, false);
  };
  if (body.length > 0) node('', true);
  if (keptFrom < body.length) parts.push(body.subarray(keptFrom));
  return parts;
}
