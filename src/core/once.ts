import { isLater } from './latest.js';

/**
 * `--once KEY` across clones. Within a clone a key names at most one record. Two clones that ran
 * the same step before exchanging their state each wrote one; a merge keeps both (an acknowledged
 * record is never dropped), and from then on they are read as one: the earliest (by time, then id)
 * is the record of that key, and every later one is its duplicate.
 */
type Rec = Record<string, unknown>;

/** The earliest record of each `once` key. */
export function onceOwners<T extends Rec>(records: Iterable<T>, keyOf: (record: T) => unknown = (record) => record.once): Map<string, T> {
  const owners = new Map<string, T>();
  for (const record of records) {
    const key = keyOf(record);
    if (typeof key !== 'string') continue;
    const owner = owners.get(key);
    if (!owner || isLater(owner, record)) owners.set(key, record);
  }
  return owners;
}

/** Each later record of a key, by id, with the id of the earliest one. */
export function onceDuplicates<T extends Rec>(records: T[], keyOf?: (record: T) => unknown): Map<string, string> {
  const owners = onceOwners(records, keyOf);
  const key = keyOf ?? ((record: T) => record.once);
  const duplicates = new Map<string, string>();
  for (const record of records) {
    const owner = owners.get(key(record) as string);
    if (owner && owner.id !== record.id) duplicates.set(String(record.id), String(owner.id));
  }
  return duplicates;
}

/** The records with `duplicate_of` set on every later record of a key. */
export function markOnceDuplicates<T extends Rec>(records: T[]): T[] {
  const duplicates = onceDuplicates(records);
  if (duplicates.size === 0) return records;
  return records.map((record) => (duplicates.has(String(record.id)) ? { ...record, duplicate_of: duplicates.get(String(record.id)) } : record));
}

interface OnceTask {
  id: string;
  created: string;
  once?: unknown;
  [key: string]: unknown;
}

/** The task of a `--once` key: the earliest created. */
export function onceTask<T extends OnceTask>(tasks: T[], key: string): T | undefined {
  const owner = onceOwners(tasks.map((task) => ({ ...task, at: task.created }))).get(key);
  return owner ? tasks.find((task) => task.id === owner.id) : undefined;
}

/**
 * Tasks two clones added with one `--once` key, after a merge: the later is marked as the
 * duplicate (`duplicate_of`, a note) and dropped unless someone already started it.
 */
export function markTaskDuplicates<T extends OnceTask>(tasks: T[], note: (ownerId: string) => string): T[] {
  const duplicates = onceDuplicates(tasks.map((task) => ({ ...task, at: task.created })));
  return tasks.map((task) => {
    const owner = duplicates.get(task.id);
    if (!owner || task.duplicate_of === owner) return task;
    const notes = typeof task.notes === 'string' && task.notes ? `${task.notes}\n${note(owner)}` : note(owner);
    return { ...task, duplicate_of: owner, notes, ...(task.status === 'open' ? { status: 'dropped' } : {}) };
  });
}
