/**
 * One record per line: a YAML flow mapping written in JSON syntax (SPEC section 2).
 *
 * JSON.stringify already escapes C0 controls and lone surrogates. We also escape what some YAML
 * reader would treat as a line break or forbids raw: DEL, C1 controls (NEL U+0085 among them),
 * U+2028/U+2029, and the non-characters U+FFFE/U+FFFF. The result is one line for every reader.
 */
const EXTRA_ESCAPES = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;

const escapeChar = (ch: string) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0');

/** The JSON text of a value, safe to embed as one line of YAML. */
export function toLineJson(value: unknown): string {
  return JSON.stringify(value).replace(EXTRA_ESCAPES, escapeChar);
}

/** A record line of a YAML list: `- {...}`. */
export function recordLine(record: object): string {
  return `- ${toLineJson(record)}\n`;
}

export const RECORD_PREFIX = '- {';

export type LineParse =
  | { kind: 'record'; value: Record<string, unknown> }
  | { kind: 'blank' }
  | { kind: 'other' };

/** Classify one line of a record file for the fast path. */
export function parseRecordLine(line: string): LineParse {
  if (line.startsWith(RECORD_PREFIX)) {
    try {
      const value: unknown = JSON.parse(line.slice(2));
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        return { kind: 'record', value: value as Record<string, unknown> };
      }
    } catch {
      return { kind: 'other' };
    }
    return { kind: 'other' };
  }
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return { kind: 'blank' };
  return { kind: 'other' };
}

/** The header of a record file: a comment, the schema, and the list key. */
export function fileHeader(comment: string, schema: number, listKey: string): string {
  return `# ${comment}\nschema: ${schema}\n${listKey}:\n`;
}
