/**
 * What must never reach git history (SPEC 4.10, 4.11): secrets and oversized fields. Pure: the
 * caller decides whether to refuse. A finding names the field and the rule, never the value.
 */
export interface SecretRule {
  name: string;
  pattern: RegExp;
}

export const SECRET_RULES: SecretRule[] = [
  { name: 'private key block', pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/ },
  { name: 'AWS access key id', pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b/ },
  { name: 'AWS secret access key', pattern: /aws_?secret_?access_?key["']?\s*[:=]\s*["']?[A-Za-z0-9/+=]{40}/i },
  { name: 'GitHub token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/ },
  { name: 'GitLab token', pattern: /\bgl(?:pat|dt|ptt|rt)-[A-Za-z0-9_-]{20,}/ },
  { name: 'Slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  { name: 'Slack webhook', pattern: /hooks\.slack\.com\/services\/T[A-Za-z0-9_]+\/B[A-Za-z0-9_]+\/[A-Za-z0-9_]+/ },
  { name: 'Anthropic API key', pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/ },
  { name: 'OpenAI API key', pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}/ },
  { name: 'Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { name: 'Stripe secret key', pattern: /\b[rs]k_live_[0-9A-Za-z]{20,}/ },
  { name: 'JSON Web Token', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
  { name: 'password in URL', pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:[^\s@/]+@[^\s/]+/i },
];

export interface Finding {
  field: string;
  rule: string;
}

/**
 * Visit every string in a value with its dotted field path; stop when `visit` returns true.
 * A plain recursive walk: `check` runs it over 100,000s of records.
 */
export function walkStrings(value: unknown, visit: (text: string, field: string) => boolean, field = ''): boolean {
  if (typeof value === 'string') return visit(value, field || 'value');
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (walkStrings(value[i], visit, `${field}[${i}]`)) return true;
    return false;
  }
  if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) if (walkStrings((value as Record<string, unknown>)[key], visit, field ? `${field}.${key}` : key)) return true;
  }
  return false;
}

/** Text every rule needs somewhere: most text has none of it, and skips the rules (check reads 100,000s of records). */
const HINT = /PRIVATE KEY|A[KSGI][IPD]A|AROA|secret|gh[pousr]_|github_pat_|gl(?:pat|dt|ptt|rt)-|xox|hooks\.slack|sk-|AIza|k_live_|eyJ|:\/\//i;

export function secretIn(text: string): string | undefined {
  if (!HINT.test(text)) return undefined;
  return SECRET_RULES.find((rule) => rule.pattern.test(text))?.name;
}

export function findSecret(value: unknown): Finding | undefined {
  let found: Finding | undefined;
  walkStrings(value, (text, field) => {
    const rule = secretIn(text);
    if (rule) found = { field, rule };
    return found !== undefined;
  });
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
