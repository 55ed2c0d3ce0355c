/**
 * runtime.json, three-way and per leaf (SPEC section 8): nested maps merge key by key down to their
 * leaves, so `deploy.region` set on one side and `deploy.zone` on the other both survive. A leaf
 * both sides changed differently takes the value of the side changed later; the other value is kept
 * in `merge_notes`, as the backlog keeps a losing value in the task's notes. "Later" is judged by
 * `updated_at`, unless a side's clock is not credible (a time in the future, or after the commit
 * that holds it): then the later commit wins. Pure: the clock and commit times come in.
 */
type Tree = Record<string, unknown>;

export interface RuntimeDocument {
  schema: number;
  version: number;
  updated_at?: string;
  updated_by?: string;
  heartbeat_at?: string;
  merge_notes?: string[];
  fields: Tree;
  [key: string]: unknown;
}

export interface RuntimeClock {
  /** Now, in ms. */
  now: number;
  /** When each side's runtime.json was last committed, in ms, where known. */
  oursCommitted?: number;
  theirsCommitted?: number;
}

/** How far a clock may run ahead before its time stamps stop counting. */
export const CLOCK_TOLERANCE_MS = 5 * 60_000;

/** A time later than now by more than clocks disagree: a wrong clock or a forged date, never "fresh". */
export const inFuture = (iso: string, now: number): boolean => Date.parse(iso) > now + CLOCK_TOLERANCE_MS;
/** merge_notes keeps the most recent ones only. */
const MAX_NOTES = 20;

const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
const isTree = (value: unknown): value is Tree => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every leaf of a tree by its path (an empty map is a leaf). */
function leaves(tree: Tree, prefix: string[] = [], out = new Map<string, { path: string[]; value: unknown }>()) {
  for (const [key, value] of Object.entries(tree)) {
    const path = [...prefix, key];
    if (isTree(value) && Object.keys(value).length > 0) leaves(value, path, out);
    else out.set(JSON.stringify(path), { path, value });
  }
  return out;
}

function setLeaf(tree: Tree, [head, ...rest]: string[], value: unknown): void {
  if (head === undefined) return;
  if (rest.length === 0) {
    tree[head] = value;
    return;
  }
  if (!isTree(tree[head])) tree[head] = {};
  setLeaf(tree[head] as Tree, rest, value);
}

interface Judged {
  oursLater: boolean;
  /** Why the later side is later, when it is not simply the later updated_at. */
  reason?: string;
  oursSuspect: boolean;
  theirsSuspect: boolean;
}

/** Which side changed later, not trusting a clock that runs ahead. */
export function judgeClocks(ours: RuntimeDocument, theirs: RuntimeDocument, clock: RuntimeClock): Judged {
  const limit = clock.now + CLOCK_TOLERANCE_MS;
  const time = (doc: RuntimeDocument) => (doc.updated_at ? Date.parse(doc.updated_at) : NaN);
  const suspect = (doc: RuntimeDocument, committed: number | undefined) => {
    const at = time(doc);
    return Number.isFinite(at) && (at > limit || (committed !== undefined && at > committed + CLOCK_TOLERANCE_MS));
  };
  const oursSuspect = suspect(ours, clock.oursCommitted);
  const theirsSuspect = suspect(theirs, clock.theirsCommitted);
  if (!oursSuspect && !theirsSuspect) return { oursLater: (ours.updated_at ?? '') >= (theirs.updated_at ?? ''), oursSuspect, theirsSuspect };
  const effective = (doc: RuntimeDocument, committed: number | undefined, isSuspect: boolean) =>
    committed !== undefined && committed <= limit ? committed : isSuspect ? -Infinity : time(doc) || -Infinity;
  const oursLater = effective(ours, clock.oursCommitted, oursSuspect) >= effective(theirs, clock.theirsCommitted, theirsSuspect);
  const future = oursSuspect ? ours : theirs;
  return { oursLater, reason: `updated_at ${future.updated_at} is in the future or after its commit, so the later commit won`, oursSuspect, theirsSuspect };
}

export function mergeRuntime(base: RuntimeDocument | undefined, ours: RuntimeDocument, theirs: RuntimeDocument, clock: RuntimeClock = { now: Date.now() }): RuntimeDocument {
  const judged = judgeClocks(ours, theirs, clock);
  const { oursLater } = judged;
  const [o, a, b] = [leaves(base?.fields ?? {}), leaves(ours.fields), leaves(theirs.fields)];
  const merged = new Map<string, { path: string[]; value: unknown; changedBy?: 'ours' | 'theirs' }>();
  const lost: string[] = [];
  const shown = (path: string[]) => path.join('.');
  for (const key of new Set([...a.keys(), ...b.keys(), ...o.keys()])) {
    const path = (a.get(key) ?? b.get(key) ?? o.get(key))!.path;
    const [was, mine, other] = [o.get(key)?.value, a.get(key)?.value, b.get(key)?.value];
    let value: unknown;
    let changedBy: 'ours' | 'theirs' | undefined;
    if (same(mine, other)) value = mine;
    else if (same(mine, was)) [value, changedBy] = [other, 'theirs'];
    else if (same(other, was)) [value, changedBy] = [mine, 'ours'];
    else {
      [value, changedBy] = oursLater ? [mine, 'ours'] : [other, 'theirs'];
      const loser = oursLater ? other : mine;
      lost.push(`${shown(path)} was ${loser === undefined ? 'unset' : JSON.stringify(loser)} on the other side`);
    }
    if (value !== undefined) merged.set(key, { path, value, ...(changedBy ? { changedBy } : {}) });
  }
  // A leaf and a map under the same key (`deploy` = "x" on one side, `deploy.zone` on the other): the later change stays.
  const winner = oursLater ? 'ours' : 'theirs';
  for (const [key, leaf] of merged) {
    for (const [otherKey, deeper] of merged) {
      if (otherKey === key || deeper.path.length <= leaf.path.length || !leaf.path.every((part, i) => deeper.path[i] === part)) continue;
      const keepLeaf = leaf.changedBy === winner || (leaf.changedBy !== undefined && deeper.changedBy === undefined);
      const [dropKey, dropped] = keepLeaf ? [otherKey, deeper] : [key, leaf];
      merged.delete(dropKey);
      lost.push(`${shown(dropped.path)} was ${JSON.stringify(dropped.value)} on the other side`);
      if (!keepLeaf) break;
    }
  }
  const fields: Tree = {};
  for (const { path, value } of merged.values()) setLeaf(fields, path, value);

  const later = oursLater ? ours : theirs;
  const laterSuspect = oursLater ? judged.oursSuspect : judged.theirsSuspect;
  const laterCommitted = oursLater ? clock.oursCommitted : clock.theirsCommitted;
  const updatedAt = laterSuspect ? new Date(Math.min(laterCommitted ?? clock.now, clock.now)).toISOString() : later.updated_at;
  const stamp = new Date(clock.now).toISOString();
  const notesOf = (doc: RuntimeDocument) => (Array.isArray(doc.merge_notes) ? doc.merge_notes.filter((note): note is string => typeof note === 'string') : []);
  const notes = [...new Set([...notesOf(ours), ...notesOf(theirs)])];
  if (lost.length) notes.push(`[merge ${stamp}] ${lost.join('; ')}${judged.reason ? ` (${judged.reason})` : ''}`);
  const heartbeats = [ours.heartbeat_at, theirs.heartbeat_at].filter((at): at is string => typeof at === 'string');
  const credible = heartbeats.filter((at) => Date.parse(at) <= clock.now + CLOCK_TOLERANCE_MS);
  const heartbeat = (credible.length ? credible : heartbeats).sort().pop();
  return {
    ...theirs,
    ...ours,
    version: Math.max(ours.version, theirs.version) + 1,
    ...(updatedAt ? { updated_at: updatedAt } : {}),
    ...(later.updated_by ? { updated_by: later.updated_by } : {}),
    ...(heartbeat ? { heartbeat_at: heartbeat } : {}),
    ...(notes.length ? { merge_notes: notes.slice(-MAX_NOTES) } : {}),
    fields,
  };
}
