import { scanSecrets, type SecretMatch } from './secret-scan.js';

/**
 * What must never reach git history (SPEC 4.10, 4.11): secrets and oversized fields. Pure: the
 * caller decides whether to refuse. A finding names the field and the rule, never the value.
 */
export interface Finding {
  field: string;
  rule: string;
}

/**
 * Visit every string in a value with its dotted field path; stop when `visit` returns true.
 * Keys are text too (`--data ghp_…=1`): with `keys`, each key is visited before its value, as
 * the field `a key in <parent>`, so that the key itself is never named in a message.
 * A plain recursive walk: `check` runs it over 100,000s of records.
 */
export function walkStrings(value: unknown, visit: (text: string, field: string) => boolean, field = '', keys = false): boolean {
  if (typeof value === 'string') return visit(value, field || 'value');
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (walkStrings(value[i], visit, `${field}[${i}]`, keys)) return true;
    return false;
  }
  if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      if (keys && visit(key, field ? `a key in ${field}` : 'a key')) return true;
      if (walkStrings((value as Record<string, unknown>)[key], visit, field ? `${field}.${key}` : key, keys)) return true;
    }
  }
  return false;
}

/** The id of the first rule that finds a secret in the text (gitleaks' rule ids, and ours). */
export function secretIn(text: string): string | undefined {
  let rule: string | undefined;
  scanSecrets(text, (match) => {
    rule = match.rule;
    return true;
  });
  return rule;
}

/**
 * The secrets in texts the user gave (the command line's arguments), each as the whole text and as
 * the part the scanner matched, with the rule. An error message can quote either where a rescan
 * would miss it (`--attach <jwt>: no such file`: gitleaks' rule wants the token to end there).
 */
export function secretsOf(texts: string[]): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  for (const text of texts) {
    scanSecrets(text, (match) => {
      found.push([text, match.rule], [text.slice(match.start, match.end), match.rule]);
      return false;
    });
  }
  return found.sort((a, b) => b[0].length - a[0].length);
}

/**
 * The text with every secret the scanner finds replaced, and every one of `known` (from
 * `secretsOf`) wherever it appears: error messages must never echo one.
 */
export function redactSecrets(text: string, known: Array<[string, string]> = []): string {
  for (const [secret, rule] of known) if (secret) text = text.split(secret).join(`[redacted: ${rule}]`);
  const spans: SecretMatch[] = [];
  scanSecrets(text, (match) => spans.push(match) < 0);
  spans.sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const span of spans) {
    if (span.end <= at) continue;
    out += `${text.slice(at, Math.max(at, span.start))}[redacted: ${span.rule}]`;
    at = span.end;
  }
  return out + text.slice(at);
}

export function findSecret(value: unknown): Finding | undefined {
  let found: Finding | undefined;
  const visit = (text: string, field: string) => {
    const rule = secretIn(text);
    if (rule) found = { field, rule };
    return found !== undefined;
  };
  walkStrings(value, visit, '', true);
  return found;
}

/** UTF-8 size, computed only when the text could be over the limit (a character is at most 4 bytes). */
export const overLimit = (text: string, limitBytes: number) => text.length * 4 > limitBytes && Buffer.byteLength(text) > limitBytes;

export function findOversized(value: unknown, limitBytes: number): (Finding & { bytes: number }) | undefined {
  let found: (Finding & { bytes: number }) | undefined;
  walkStrings(value, (text, field) => {
    if (overLimit(text, limitBytes)) found = { field, rule: `larger than ${limitBytes} bytes`, bytes: Buffer.byteLength(text) };
    return found !== undefined;
  });
  return found;
}
