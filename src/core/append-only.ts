/**
 * The append-only rule, judged by record id and content, never by position: a merge or a
 * `pull --rebase` that writes the same records in another order loses nothing; a seal that moves
 * records into a segment loses nothing. A record is lost when no file of its family still holds
 * it (removed), or holds it with other content (changed).
 */
export type LogKind = 'yaml' | 'tsv';

export interface LogText {
  file: string;
  text: string;
  kind: LogKind;
}

export interface LostRecord {
  file: string;
  id: string;
  change: 'changed' | 'removed';
}

/** The record lines of a log file as agentstate writes them: `- {...}` lines, or TSV rows after the header. */
export function recordLines(text: string, kind: LogKind): string[] {
  const lines = text.split('\n');
  if (kind === 'yaml') return lines.filter((line) => line.startsWith('- {'));
  return lines.slice(1).filter((line) => line !== '');
}

export function recordId(line: string, kind: LogKind): string {
  if (kind === 'tsv') return line.slice(0, line.indexOf('\t'));
  if (line.startsWith('- {"id":"')) return line.slice(9, line.indexOf('"', 9));
  return /"id":"([^"]+)"/.exec(line)?.[1] ?? '?';
}

/** The same record written another way (key order, escapes) is the same record. */
function sameContent(a: string, b: string, kind: LogKind): boolean {
  if (a === b) return true;
  if (kind === 'tsv') return false;
  try {
    return canonical(JSON.parse(a.slice(2))) === canonical(JSON.parse(b.slice(2)));
  } catch {
    return false;
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Records of the `before` files that none of the `after` files hold any more (unchanged). */
export function lostRecords(before: LogText[], after: LogText[]): LostRecord[] {
  const kept = new Set<string>();
  const byId = new Map<string, string[]>();
  for (const file of after) {
    for (const line of recordLines(file.text, file.kind)) {
      kept.add(line);
      const id = recordId(line, file.kind);
      const same = byId.get(id);
      if (same) same.push(line);
      else byId.set(id, [line]);
    }
  }
  const lost: LostRecord[] = [];
  for (const file of before) {
    for (const line of recordLines(file.text, file.kind)) {
      if (kept.has(line)) continue;
      const id = recordId(line, file.kind);
      const candidates = byId.get(id) ?? [];
      if (candidates.some((candidate) => sameContent(line, candidate, file.kind))) continue;
      lost.push({ file: file.file, id, change: candidates.length ? 'changed' : 'removed' });
    }
  }
  return lost;
}

/** Lines of `texts` holding the record `id`. */
function linesOf(texts: LogText[], id: string): Array<{ line: string; kind: LogKind }> {
  return texts.flatMap((file) => recordLines(file.text, file.kind).filter((line) => recordId(line, file.kind) === id).map((line) => ({ line, kind: file.kind })));
}

/** Does a version of record `id` in `merged` have the same content as one in `parent`? */
export function sameRecordIn(merged: LogText[], parent: LogText[], id: string): boolean {
  const theirs = linesOf(parent, id);
  return linesOf(merged, id).some(({ line, kind }) => theirs.some((other) => sameContent(line, other.line, kind)));
}
