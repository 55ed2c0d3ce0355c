/**
 * catch-log.tsv: a header line, then one record per line. Tabs, newlines, carriage returns and
 * backslashes inside fields are escaped so that every record is exactly one line.
 */
export const CATCH_COLUMNS = ['id', 'at', 'control', 'caught', 'agent', 'outcome', 'notes'] as const;
export type CatchColumn = (typeof CATCH_COLUMNS)[number];
export type CatchRow = Record<CatchColumn, string>;

export const CATCH_HEADER = CATCH_COLUMNS.join('\t') + '\n';

export function escapeField(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (ch) => (ch === '\\' ? '\\\\' : ch === '\t' ? '\\t' : ch === '\n' ? '\\n' : '\\r'));
}

export function unescapeField(value: string): string {
  return value.replace(/\\([\\tnr])/g, (_, ch: string) => (ch === 't' ? '\t' : ch === 'n' ? '\n' : ch === 'r' ? '\r' : '\\'));
}

export function formatRow(row: CatchRow): string {
  return CATCH_COLUMNS.map((column) => escapeField(row[column])).join('\t') + '\n';
}

/**
 * Parse one record line; undefined when it does not have the header's width. A CR at the end is
 * a Windows line end, not data: a CR inside a field is always written escaped (`\r`).
 */
export function parseRow(line: string): CatchRow | undefined {
  const fields = (line.endsWith('\r') ? line.slice(0, -1) : line).split('\t');
  if (fields.length !== CATCH_COLUMNS.length) return undefined;
  const row = {} as CatchRow;
  CATCH_COLUMNS.forEach((column, i) => {
    row[column] = unescapeField(fields[i] ?? '');
  });
  return row;
}
