import { readTreeFiles } from '../git/blobs.js';
import { ARCHIVE_DIR, FILES } from './layout.js';
import type { StateContext } from './context.js';

/**
 * The records each state file holds at a commit, for `sync --json`: record id -> its line, per
 * log (a sealed segment counts with its log: archive/events.<stamp>.yaml is events.yaml) and for
 * the backlog (a task whose line changed counts as a record that moved).
 */
export type RecordsAt = Map<string, Map<string, string>>;

export interface FileMovement {
  before: number;
  after: number;
  in: number;
  out: number;
}

const DERIVED = new Set<string>([FILES.decisionsIndex]);

export function recordsAt(context: StateContext, rev: string | undefined): RecordsAt {
  const records: RecordsAt = new Map();
  if (!rev || !context.repo) return records;
  const stateDir = context.display(context.stateDir);
  const files = readTreeFiles(context.repo.root, rev, [stateDir]);
  for (const [path, bytes] of files) {
    const family = familyOf(path.slice(stateDir.length + 1));
    if (!family) continue;
    const ids = records.get(family) ?? new Map<string, string>();
    records.set(family, ids);
    const tsv = family.endsWith('.tsv');
    const text = bytes.toString('utf8');
    for (const line of text.split('\n')) {
      const id = tsv ? tsvId(line) : /^- \{"id":"([^"]+)"/.exec(line)?.[1];
      if (id) ids.set(id, family === FILES.backlog ? line : '');
    }
  }
  return records;
}

/** events.yaml, archive/events.<stamp>.yaml -> events.yaml; files without records -> undefined. */
function familyOf(relative: string): string | undefined {
  const parts = relative.split('/');
  if (parts.length === 2 && parts[0] === ARCHIVE_DIR) {
    const name = parts[1]!;
    if (name.includes('.corrupt-')) return undefined;
    const dot = name.indexOf('.');
    const ext = name.slice(name.lastIndexOf('.'));
    return dot > 0 && (ext === '.yaml' || ext === '.tsv') ? `${name.slice(0, dot)}${ext}` : undefined;
  }
  if (parts.length !== 1 || DERIVED.has(relative)) return undefined;
  return relative.endsWith('.yaml') || relative.endsWith('.tsv') ? relative : undefined;
}

function tsvId(line: string): string | undefined {
  const id = line.slice(0, line.indexOf('\t'));
  return /^[a-z]+-[0-9a-z]{4,32}$/.test(id) ? id : undefined;
}

/**
 * Per file: records before and after, how many came in (in `after`, not in `before`) and how
 * many went out (in `after`, not in what the remote held before our push). A task counts when its
 * line is new or different.
 */
export function movements(before: RecordsAt, remote: RecordsAt, after: RecordsAt): Record<string, FileMovement> {
  const result: Record<string, FileMovement> = {};
  const families = [...new Set([...before.keys(), ...after.keys()])].sort();
  const newIn = (ids: Map<string, string>, than: Map<string, string> | undefined) =>
    [...ids].filter(([id, line]) => !than?.has(id) || than.get(id) !== line).length;
  for (const family of families) {
    const now = after.get(family) ?? new Map<string, string>();
    const then = before.get(family);
    if (!then?.size && !now.size) continue;
    result[family] = { before: then?.size ?? 0, after: now.size, in: newIn(now, then), out: newIn(now, remote.get(family)) };
  }
  return result;
}
