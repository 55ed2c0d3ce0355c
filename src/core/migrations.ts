/**
 * Schema upgrades. Readers upgrade old records on the fly (tolerant readers); `agentstate migrate`
 * writes them back in the current form, after a commit of the old state.
 *
 * Schema 0 is the prototype format: block-style YAML, events with `time`, `kind` and `message`
 * where schema 1 has `at`, `type` and `summary`, and a runtime.json whose fields sat under
 * `state` with no version.
 */
type Rec = Record<string, unknown>;

const rename = (record: Rec, names: Record<string, string>): Rec => {
  const out: Rec = {};
  for (const [key, value] of Object.entries(record)) out[names[key] ?? key] = value;
  return out;
};

export const LATEST = 1;

export function upgradeEvent(record: Rec, schema: number | undefined): Rec {
  if ((schema ?? LATEST) >= 1) return record;
  return rename(record, { time: 'at', kind: 'type', message: 'summary' });
}

export function upgradeRuntime(document: Rec): Rec {
  if (typeof document.schema === 'number' && document.schema >= 1) return document;
  const { state, ...rest } = document;
  return { ...rest, schema: LATEST, version: typeof rest.version === 'number' ? rest.version : 0, fields: (state ?? rest.fields ?? {}) as Rec };
}
