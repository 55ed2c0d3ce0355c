import { onceDuplicates } from './once.js';
import { expectationsOf, type DecisionCheck, type Expectation } from './expectations.js';

/**
 * The decision chain is event-sourced: decisions.yaml holds decisions, outcomes and revocations;
 * the current state of each decision is a projection of that chain.
 */
export type DecisionStatus = 'open' | 'done' | 'failed' | 'abandoned' | 'standing' | 'revoked';

export interface DecisionView {
  id: string;
  at: string;
  agent: string;
  title: string;
  why: string;
  action?: string;
  standing: boolean;
  tags: string[];
  status: DecisionStatus;
  /** What would be true once the action is done (`decide --expect`). */
  expect?: Expectation[];
  /** Those expectations checked against the repository (resume, decisions); never stored. */
  check?: DecisionCheck;
  closed?: Closing;
  /** Later closings of the same decision (closed on two clones, then merged): shown, not counted. */
  also?: Closing[];
  /** Ids of the decisions other clones made with the same --once key: this one stands for them. */
  duplicates?: string[];
}

export interface Closing {
  at: string;
  agent: string;
  status: string;
  note?: string;
  why?: string;
  id: string;
}

type Raw = Record<string, unknown>;
const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function projectDecisions(records: Raw[]): DecisionView[] {
  const views = new Map<string, DecisionView>();
  // A decision two clones made with one --once key is one decision: the earliest (core/once.ts).
  const alias = onceDuplicates(records, (record) => (record.kind === 'decision' ? record.once : undefined));
  for (const record of records) {
    const id = str(record.id);
    if (!id || alias.has(id)) continue;
    if (record.kind === 'decision') {
      views.set(id, {
        id,
        at: str(record.at) ?? '',
        agent: str(record.agent) ?? '',
        title: str(record.title) ?? '',
        why: str(record.why) ?? '',
        ...(str(record.action) ? { action: str(record.action) } : {}),
        standing: record.standing === true,
        tags: Array.isArray(record.tags) ? record.tags.filter((t): t is string => typeof t === 'string') : [],
        status: record.standing === true ? 'standing' : 'open',
        ...(Array.isArray(record.expect) && record.expect.length ? { expect: expectationsOf(record.expect) } : {}),
      });
    }
  }
  for (const [duplicate, owner] of alias) {
    const view = views.get(owner);
    if (view) view.duplicates = [...(view.duplicates ?? []), duplicate];
  }
  // The earliest closing counts (by time, then id), wherever a merge put it in the file.
  const targetOf = (record: Raw) => alias.get(str(record.decision) ?? '') ?? str(record.decision) ?? '';
  const closings = records.filter((record) => (record.kind === 'outcome' || record.kind === 'revoke') && views.has(targetOf(record)));
  closings.sort((a, b) => compareText(str(a.at) ?? '', str(b.at) ?? '') || compareText(str(a.id) ?? '', str(b.id) ?? ''));
  for (const record of closings) {
    const target = views.get(targetOf(record))!;
    const closing: Closing = {
      at: str(record.at) ?? '',
      agent: str(record.agent) ?? '',
      id: str(record.id) ?? '',
      status: record.kind === 'revoke' ? 'revoked' : (str(record.status) ?? ''),
      ...(str(record.note) ? { note: str(record.note) } : {}),
      ...(record.kind === 'revoke' && str(record.why) ? { why: str(record.why) } : {}),
    };
    if (target.closed) {
      target.also = [...(target.also ?? []), closing];
      continue;
    }
    target.status = closing.status as DecisionStatus;
    target.closed = closing;
  }
  // Ordered by time then id, not by position: merges leave records in an order that depends on the merge base.
  return [...views.values()].sort((x, y) => compareText(x.at, y.at) || compareText(x.id, y.id));
}

export const isOpen = (view: DecisionView) => view.status === 'open';
export const isStanding = (view: DecisionView) => view.status === 'standing';

/** An index entry: a decision as resume and the boot block show it, without its closing record. */
export function indexEntry(view: DecisionView) {
  return {
    id: view.id,
    at: view.at,
    agent: view.agent,
    title: view.title,
    why: view.why,
    ...(view.action ? { action: view.action } : {}),
    standing: view.standing,
    ...(view.tags.length ? { tags: view.tags } : {}),
    status: view.status,
    ...(view.expect?.length ? { expect: view.expect } : {}),
  };
}

/** The derived decisions-index.yaml content: standing orders, open decisions, the most recent N. */
export function decisionIndex(views: DecisionView[], recent: number) {
  return {
    standing: views.filter(isStanding).map(indexEntry),
    open: views.filter(isOpen).map(indexEntry),
    recent: views.slice(-recent).map(indexEntry),
    count: views.length,
  };
}

/** A view back from an index entry (no closing details: the chain has those). */
export function viewOfEntry(entry: Record<string, unknown>): DecisionView {
  return {
    id: String(entry.id),
    at: String(entry.at ?? ''),
    agent: String(entry.agent ?? ''),
    title: String(entry.title ?? ''),
    why: String(entry.why ?? ''),
    ...(typeof entry.action === 'string' ? { action: entry.action } : {}),
    standing: entry.standing === true,
    tags: Array.isArray(entry.tags) ? entry.tags.filter((t): t is string => typeof t === 'string') : [],
    status: String(entry.status ?? 'open') as DecisionStatus,
    ...(Array.isArray(entry.expect) && entry.expect.length ? { expect: expectationsOf(entry.expect) } : {}),
  };
}

/** The decision index as data: its lists hold index entries (as written, key order kept). */
export interface DecisionIndexLists {
  standing: Array<Record<string, unknown>>;
  open: Array<Record<string, unknown>>;
  recent: Array<Record<string, unknown>>;
  count: number;
}

/**
 * The index after one more record, from the index before it, without projecting the chain: a new
 * decision later than every other (the usual case) joins the open or standing list and the recent
 * ones; an outcome or a revocation of an open decision or a standing order takes it off its list
 * and changes its status among the recent ones. Undefined when the record needs the whole chain
 * (a --once key, a decision dated before the latest one, a closing of anything else): the caller
 * then projects the chain as before. The result is the index the projection gives.
 */
export function advanceIndex(index: DecisionIndexLists, record: Raw, recent: number): DecisionIndexLists | undefined {
  if (record.once !== undefined || index.recent.length > recent) return undefined;
  if (record.kind === 'decision') {
    const last = index.recent[index.recent.length - 1];
    const view = projectDecisions([record])[0];
    if (!view) return undefined;
    if (last && compareText(String(last.at), view.at) > 0) return undefined;
    if (last && last.at === view.at && compareText(String(last.id), view.id) >= 0) return undefined;
    const entry = indexEntry(view) as Record<string, unknown>;
    return {
      standing: view.standing ? [...index.standing, entry] : index.standing,
      open: view.standing ? index.open : [...index.open, entry],
      recent: [...index.recent, entry].slice(-recent),
      count: index.count + 1,
    };
  }
  const target = str(record.decision);
  const list = record.kind === 'outcome' ? 'open' : record.kind === 'revoke' ? 'standing' : undefined;
  if (!target || !list || !index[list].some((entry) => entry.id === target)) return undefined;
  const status = record.kind === 'revoke' ? 'revoked' : str(record.status);
  if (!status) return undefined;
  return {
    ...index,
    [list]: index[list].filter((entry) => entry.id !== target),
    recent: index.recent.map((entry) => (entry.id === target ? { ...entry, status } : entry)),
  };
}
