import type { CatchRow } from './tsv.js';

/**
 * The searchable text of each kind of record: one line that holds every field a person would
 * search, so that the words a hit matched are always in the line shown for it. Pure.
 */
export const KINDS = ['event', 'handoff', 'decision', 'task', 'catch', 'learning'] as const;
export type SearchKind = (typeof KINDS)[number];

/** Kinds as stored in an index; an outcome or revocation counts as part of its decision. */
export const KIND_CODE = { event: 1, handoff: 2, decision: 3, closing: 4, task: 5, catch: 6, learning: 7 } as const;
export type KindCode = (typeof KIND_CODE)[keyof typeof KIND_CODE];
export const codesOf = (kind: SearchKind): KindCode[] => (kind === 'decision' ? [3, 4] : [KIND_CODE[kind]]);
export const kindOfCode = (code: number): SearchKind => (code === 4 ? 'decision' : (KINDS.find((kind) => KIND_CODE[kind] === code) ?? 'event'));

export interface SearchDoc {
  kind: KindCode;
  /** Epoch ms of the record (a task: its last update). */
  at: number;
  agent: string;
  /** The decision an outcome or revocation belongs to (and a decision's own id). */
  key?: string;
  text: string;
}

type Rec = Record<string, unknown>;
const str = (value: unknown) => (typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '');
const list = (value: unknown) => (Array.isArray(value) ? value.map(str).filter(Boolean) : []);
const join = (parts: string[]) => parts.filter(Boolean).join(' · ');
const time = (value: unknown) => {
  const ms = Date.parse(str(value));
  return Number.isNaN(ms) ? 0 : ms;
};

function dataText(data: unknown): string[] {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return [];
  return Object.entries(data as Rec).map(([key, value]) => `${key}: ${Array.isArray(value) ? list(value).join(', ') : typeof value === 'object' && value ? JSON.stringify(value) : str(value)}`);
}

export function eventDoc(record: Rec): SearchDoc {
  const base = { at: time(record.at), agent: str(record.agent) };
  if (record.type === 'handoff') {
    const data = (record.data ?? {}) as Rec;
    const part = (label: string, value: unknown) => (list(value).length ? `${label}: ${list(value).join('; ')}` : '');
    const note = record.summary !== 'handoff' ? str(record.summary) : '';
    return { ...base, kind: KIND_CODE.handoff, text: join([part('done', data.done), part('remaining', data.remaining), part('uncertain', data.uncertain), note]) };
  }
  const type = str(record.type);
  const attachments = Array.isArray(record.attachments) ? record.attachments.map((a) => str((a as Rec)?.name ?? (a as Rec)?.path)) : [];
  return {
    ...base,
    kind: KIND_CODE.event,
    text: join([`${type && type !== 'note' ? `[${type}] ` : ''}${str(record.summary)}`, str(record.ref), ...list(record.backrefs), ...dataText(record.data), ...attachments]),
  };
}

/** A decision, or a record that closes one (an outcome's note, a revocation's reason). */
export function decisionDoc(record: Rec): SearchDoc | undefined {
  const base = { at: time(record.at), agent: str(record.agent) };
  if (record.kind === 'decision') {
    const tags = list(record.tags);
    return {
      ...base,
      kind: KIND_CODE.decision,
      key: str(record.id),
      text: join([str(record.title), `why: ${str(record.why)}`, record.action ? `action: ${str(record.action)}` : '', tags.length ? `tags: ${tags.join(', ')}` : '']),
    };
  }
  if (record.kind === 'outcome' || record.kind === 'revoke') return { ...base, kind: KIND_CODE.closing, key: str(record.decision), text: closingText(record) };
  return undefined;
}

export function closingText(record: Rec): string {
  if (record.kind === 'revoke') return `revoked: ${str(record.why)}`;
  return `${str(record.status)}${record.note ? `: ${str(record.note)}` : ''}`;
}

export function taskDoc(record: Rec): SearchDoc {
  const tags = list(record.tags);
  return {
    kind: KIND_CODE.task,
    at: time(record.updated ?? record.created),
    agent: str(record.owner),
    text: join([str(record.title), record.epic ? `epic: ${str(record.epic)}` : '', tags.length ? `tags: ${tags.join(', ')}` : '', str(record.notes)]),
  };
}

export function catchDoc(row: CatchRow): SearchDoc {
  return { kind: KIND_CODE.catch, at: time(row.at), agent: row.agent, text: join([`${row.control}: ${row.caught}`, row.outcome, row.notes]) };
}

/** A lesson (`learn`); its confirmations and retirement are not documents of their own. */
export function learningDoc(record: Rec): SearchDoc | undefined {
  if (record.kind !== 'learning') return undefined;
  const tags = list(record.tags);
  return {
    kind: KIND_CODE.learning,
    at: time(record.at),
    agent: str(record.agent),
    text: join([str(record.text), `${str(record.category)}`, tags.length ? `tags: ${tags.join(', ')}` : '', ...list(record.refs)]),
  };
}
