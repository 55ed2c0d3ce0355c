/**
 * An acknowledged rewrite: `check --accept <commit> --why` appends an event of type `accept` that
 * names the commit by its full id. It travels with git like every record, names who accepted it
 * (`agent`) and why (`summary`), and from then on `check` no longer fails on that commit.
 */
export const ACCEPT_TYPE = 'accept';

export interface Acceptance {
  id: string;
  commit: string;
  agent: string;
  why: string;
}

const FULL_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
export const isFullCommitId = (text: unknown): text is string => typeof text === 'string' && FULL_ID.test(text);

/** The acceptances in event log texts (segments and active file), found without parsing every line. */
export function acceptances(texts: string[]): Map<string, Acceptance> {
  const found = new Map<string, Acceptance>();
  for (const text of texts) {
    if (!text.includes(`"type":"${ACCEPT_TYPE}"`)) continue;
    for (const line of text.split('\n')) {
      if (!line.startsWith('- {') || !line.includes(`"type":"${ACCEPT_TYPE}"`)) continue;
      try {
        const record = JSON.parse(line.slice(2)) as Record<string, unknown>;
        if (record.type !== ACCEPT_TYPE || !isFullCommitId(record.commit)) continue;
        found.set(record.commit, { id: String(record.id), commit: record.commit, agent: String(record.agent ?? ''), why: String(record.summary ?? '') });
      } catch {
        /* a damaged line is check's finding, not ours */
      }
    }
  }
  return found;
}
