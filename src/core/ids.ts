import { randomBytes } from 'node:crypto';
import { notFoundError, usageError } from '../errors.js';

/** Id prefixes by record kind. */
export const ID_PREFIX = { event: 'ev', catch: 'ct', decision: 'd', task: 't', learning: 'l' } as const;
export type IdKind = keyof typeof ID_PREFIX;

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case
const ID_LENGTH = 10; // 50 random bits: collision-free across branches and machines in practice

export function newId(kind: IdKind): string {
  const bytes = randomBytes(ID_LENGTH);
  let body = '';
  for (const byte of bytes) body += ALPHABET[byte & 31];
  return `${ID_PREFIX[kind]}-${body}`;
}

const ID_FORM = /^[a-z]{1,2}-[0-9a-z]{0,32}$/;

/** True when the text has the form of an id or an id prefix (never a path). */
export function isIdForm(text: string): boolean {
  return ID_FORM.test(text);
}

/**
 * Resolve a unique prefix of an id among the known ids. The prefix may omit the kind prefix
 * (`7f3a` for `d-7f3a9c2e`). Exit 2 for text that is not of the id form, 3 when nothing matches,
 * 2 when the prefix is ambiguous.
 */
export function resolveIdPrefix(kind: IdKind, text: string, ids: Iterable<string>): string {
  const typed = text.trim().toLowerCase();
  const full = typed.includes('-') ? typed : `${ID_PREFIX[kind]}-${typed}`;
  // An empty prefix ("" or "d-") would match every record: never.
  if (full === `${ID_PREFIX[kind]}-`) throw usageError(`an empty ${kind} id matches nothing`, `give the id or a unique prefix of it, e.g. ${ID_PREFIX[kind]}-7f3a`);
  if (!isIdForm(full) || !full.startsWith(`${ID_PREFIX[kind]}-`)) {
    throw usageError(`"${text}" is not a ${kind} id`, `${kind} ids look like ${ID_PREFIX[kind]}-7f3a9c2e0b`);
  }
  const matches = new Set<string>();
  for (const id of ids) if (id.startsWith(full)) matches.add(id);
  if (matches.size === 0) throw notFoundError(`no ${kind} with id ${text}`, `list them with \`agentstate ${listCommand(kind)}\``);
  if (matches.size > 1) {
    throw usageError(`id prefix ${text} is ambiguous (${[...matches].slice(0, 3).join(', ')}…)`, 'give more characters of the id');
  }
  return [...matches][0] as string;
}

function listCommand(kind: IdKind): string {
  return { event: 'events', catch: 'catches', decision: 'decisions --all', task: 'backlog list', learning: 'learnings --all' }[kind];
}

/** The record an id or prefix names among records that may stand for others (`duplicates`: the later records of one --once key). */
export function recordById<T extends { id: string; duplicates?: string[] }>(kind: IdKind, text: string, records: T[]): T {
  const id = resolveIdPrefix(kind, text, records.flatMap((record) => [record.id, ...(record.duplicates ?? [])]));
  return records.find((record) => record.id === id || record.duplicates?.includes(id))!;
}
