import { formatTree, parseTree, type GitObject, type ObjectStore, type TreeEntry } from './objects.js';

/**
 * A new root tree: the old one with some paths set to new blobs (or removed), rebuilding only the
 * trees on the way to them. Every other tree and blob is shared with the old commit, so the cost
 * follows the number of changed paths, not the size of the repository.
 */
export interface PathChange {
  path: string; // repo-relative, '/'-separated
  blob?: { sha: string; mode: string }; // absent: remove the path
}

interface Dir {
  files: Map<string, PathChange['blob'] | null>;
  dirs: Map<string, Dir>;
}

export function editTree(store: ObjectStore, root: string | undefined, changes: PathChange[]): string {
  const top: Dir = { files: new Map(), dirs: new Map() };
  for (const change of changes) {
    const parts = change.path.split('/');
    let dir = top;
    for (const part of parts.slice(0, -1)) {
      let next = dir.dirs.get(part);
      if (!next) dir.dirs.set(part, (next = { files: new Map(), dirs: new Map() }));
      dir = next;
    }
    dir.files.set(parts[parts.length - 1]!, change.blob ?? null);
  }
  return build(store, root, top) ?? store.write('tree', Buffer.alloc(0));
}

/** Each tree parsed once per process (its object is kept by the store, objects.ts). */
const parsed = new WeakMap<GitObject, readonly TreeEntry[]>();

function readTree(store: ObjectStore, sha: string | undefined): readonly TreeEntry[] {
  if (!sha) return [];
  const object = store.readOne(sha);
  if (!object || object.type !== 'tree') throw new Error(`tree ${sha} is missing from the object store`);
  let entries = parsed.get(object);
  if (!entries) parsed.set(object, (entries = parseTree(object.body, store.hexLength)));
  return entries;
}

/** The rebuilt tree's name, or undefined when it ends up empty (git keeps no empty trees). */
function build(store: ObjectStore, sha: string | undefined, dir: Dir): string | undefined {
  const entries = new Map(readTree(store, sha).map((entry) => [entry.name, entry]));
  for (const [name, blob] of dir.files) {
    if (blob) entries.set(name, { mode: blob.mode, name, sha: blob.sha });
    else entries.delete(name);
  }
  for (const [name, child] of dir.dirs) {
    const existing = entries.get(name);
    const rebuilt = build(store, existing?.mode === '40000' ? existing.sha : undefined, child);
    if (rebuilt) entries.set(name, { mode: '40000', name, sha: rebuilt });
    else entries.delete(name);
  }
  if (entries.size === 0) return undefined;
  return store.write('tree', formatTree([...entries.values()]));
}

/** The entry (blob or tree) at a path of a tree, if any. */
export function entryAt(store: ObjectStore, root: string | undefined, path: string): TreeEntry | undefined {
  let sha = root;
  const parts = path.split('/');
  for (const [i, part] of parts.entries()) {
    const entry = readTree(store, sha).find((candidate) => candidate.name === part);
    if (!entry || i === parts.length - 1) return entry;
    if (entry.mode !== '40000') return undefined;
    sha = entry.sha;
  }
  return undefined;
}

/** The blob at a path of a tree, if any. */
export function blobAt(store: ObjectStore, root: string | undefined, path: string): { sha: string; mode: string } | undefined {
  const entry = entryAt(store, root, path);
  return entry && entry.mode !== '40000' ? { sha: entry.sha, mode: entry.mode } : undefined;
}

/** A file as HEAD has it: its blob name at once, its bytes on demand. */
export function headFile(store: ObjectStore, headSha: string | undefined, path: string): { sha: string; read(): Buffer } | undefined {
  if (!headSha) return undefined;
  const commit = store.readOne(headSha);
  if (commit?.type !== 'commit') return undefined;
  const tree = /^tree (\S+)$/m.exec(commit.body.toString('utf8'))?.[1];
  const blob = blobAt(store, tree, path);
  return blob ? { sha: blob.sha, read: () => store.readOne(blob.sha)?.body ?? Buffer.alloc(0) } : undefined;
}
