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

/** Every string in a value, with its dotted field path. */
export function* strings(value: unknown, path = ''): Generator<[string, string]> {
  if (typeof value === 'string') yield [path || 'value', value];
  else if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* strings(item, `${path}[${i}]`);
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) yield* strings(item, path ? `${path}.${key}` : key);
  }
}

/** Text every rule needs somewhere: most text has none of it, and skips the rules (check reads 100,000s of records). */
const HINT = /PRIVATE KEY|A[KSGI][IPD]A|AROA|secret|gh[pousr]_|github_pat_|gl(?:pat|dt|ptt|rt)-|xox|hooks\.slack|sk-|AIza|k_live_|eyJ|:\/\//i;

export function findSecret(value: unknown): Finding | undefined {
  for (const [field, text] of strings(value)) {
    if (!HINT.test(text)) continue;
    for (const rule of SECRET_RULES) if (rule.pattern.test(text)) return { field, rule: rule.name };
  }
  return undefined;
}

export function findOversized(value: unknown, limitBytes: number): (Finding & { bytes: number }) | undefined {
  for (const [field, text] of strings(value)) {
    const bytes = Buffer.byteLength(text);
    if (bytes > limitBytes) return { field, rule: `larger than ${limitBytes} bytes`, bytes };
  }
  return undefined;
}
