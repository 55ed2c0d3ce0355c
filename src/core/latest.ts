/**
 * "Latest" means latest by time, everywhere (resume, the AGENTS.md block, merges): the record with
 * the greatest `at`, ties broken by the greater id, so every reader picks the same one whatever the
 * order in which a merge left the records in the file.
 */
type Stamped = Record<string, unknown>;

export function isLater(x: Stamped, y: Stamped): boolean {
  const [a, b] = [String(x.at ?? ''), String(y.at ?? '')];
  return a > b || (a === b && String(x.id ?? '') > String(y.id ?? ''));
}

export function latestByTime<T extends Stamped>(records: Iterable<T | undefined>): T | undefined {
  let best: T | undefined;
  for (const record of records) if (record && (!best || isLater(record, best))) best = record;
  return best;
}

/**
 * The latest time a record in a sealed segment can carry: segments are named after the time of the
 * append that sealed them (`events.20260305T141502Z.ab12cd.yaml`), and hold nothing written later.
 */
export function segmentCeiling(name: string): string | undefined {
  const stamp = /\.(\d{8}T\d{6}Z)\./.exec(name)?.[1];
  if (!stamp) return undefined;
  return `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}.999Z`;
}
