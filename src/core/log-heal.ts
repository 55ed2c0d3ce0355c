/**
 * A log's work-tree copy against the version HEAD holds: every record HEAD holds must be in it,
 * each record once. A user's git command racing our writes (a stash, a pop, a checkout) can take
 * records out of the file or put one back twice; this gives the file that holds both sides'
 * records once, in the file's order, HEAD's missing ones at the end. Pure: bytes in, bytes out.
 */
export interface Reconciled {
  content: Buffer;
  /** Records HEAD holds that the work tree had lost, put back. */
  lost: number;
  /** Second copies of a record, dropped. */
  doubled: number;
}

/** The id of a record line (YAML log or TSV log), undefined for other lines. */
export function recordIdOf(line: string, tsv: boolean): string | undefined {
  if (tsv) return /^[a-z]{1,2}-[0-9a-z]+\t/.test(line) ? line.slice(0, line.indexOf('\t')) : undefined;
  return line.startsWith('- {"id":"') ? line.slice(9, line.indexOf('"', 9)) : undefined;
}

/** The text that finds a record wherever it is (another file, a sealed segment). */
export const recordNeedle = (id: string, tsv: boolean) => (tsv ? `\n${id}\t` : `"id":"${id}"`);

export function reconcileLog(head: Buffer, content: Buffer, options: { tsv: boolean; elsewhere?: Buffer[] }): Reconciled | undefined {
  const { tsv } = options;
  const grew = content.subarray(0, head.length).equals(head);
  const seen = new Set<string>();
  if (grew) {
    for (const line of head.toString('utf8').split('\n')) {
      const id = recordIdOf(line, tsv);
      if (id !== undefined) seen.add(id);
    }
  }
  const lines = (grew ? content.subarray(head.length) : content).toString('utf8').split('\n');
  const tail = lines.pop() ?? ''; // '' after a final newline; else a torn last record, which stays last
  const kept: string[] = [];
  let doubled = 0;
  for (const line of lines) {
    const id = recordIdOf(line, tsv);
    if (id !== undefined && seen.has(id)) {
      doubled++;
      continue;
    }
    if (id !== undefined) seen.add(id);
    kept.push(line);
  }
  const lost = grew
    ? []
    : head
        .toString('utf8')
        .split('\n')
        .filter((line) => {
          const id = recordIdOf(line, tsv);
          return id !== undefined && !seen.has(id) && !(options.elsewhere ?? []).some((other) => other.includes(recordNeedle(id, tsv)));
        });
  if (doubled === 0 && lost.length === 0) return undefined;
  const text = (grew ? head.toString('utf8') : '') + [...kept, ...lost].map((line) => `${line}\n`).join('') + tail;
  return { content: Buffer.from(text), lost: lost.length, doubled };
}
