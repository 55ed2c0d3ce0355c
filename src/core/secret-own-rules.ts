import type { PortedRule } from './secret-scan.js';

/**
 * Our additions to gitleaks' rules, where it has none for what an agent's notes hold: a password
 * in a URL (any scheme, an empty user name too: `redis://:pw@host`), an AWS secret key by its
 * name, a private key whose END line was cut off, an OpenAI project key without its usual marker.
 */
export const OWN_RULES: PortedRule[] = [
  {
    id: 'password-in-url',
    source: '\\b[a-z][a-z0-9+.-]*://[^\\s:@/]*:([^\\s@/]+)@[^\\s/@]+',
    flags: 'i',
    keywords: ['://'],
    allow: [{ target: 'secret', regexes: [['^(?:\\*+|x+|\\.\\.\\.|\\$\\{?\\w+\\}?|<[^>]*>|\\{\\{[^}]*\\}\\}|%s|pass(?:word|wd)?|pwd|changeme|changeit|secret)$', 'i']] }],
  },
  { id: 'aws-secret-access-key', source: 'aws_?secret_?access_?key["\']?\\s*[:=]\\s*["\']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])', flags: 'i', keywords: ['aws'], entropy: 3 },
  { id: 'private-key-body', source: '-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----\\s*[A-Za-z0-9+/=\\s]{64,}', flags: 'i', keywords: ['-----begin'] },
  { id: 'openai-project-key', source: '\\b(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,})', flags: '', keywords: ['sk-proj-', 'sk-svcacct-', 'sk-admin-'], entropy: 4 },
];

/** One regex for the keywords of our rules. */
export const OWN_KEYWORDS = /:\/\/|aws|-----begin|sk-(?:proj|svcacct|admin)-/i;

/**
 * Look-alikes we refuse to flag although a gitleaks rule matches: English that fits an AWS key id
 * (`ASIAPACIFICSOUTHEAST`). Key ids are base32 (A-Z, 2-7); for the prefixes that are also words
 * (ASIA, ABIA, ACCA) we ask for at least one digit, which all but 3.6% of random ids have.
 */
export const EXTRA_CHECKS: Record<string, (secret: string) => boolean> = {
  'aws-access-token': (secret) => /^(?:AKIA|A3T)/.test(secret) || /[2-7]/.test(secret.slice(4)),
};

/**
 * Characters a rule's regex cannot match without: a cheaper test than the regex, for the rules
 * woken by common keywords. The assignment-style rules need one of their operators (= > : | ,).
 */
export const NEEDS: Record<string, RegExp> = { 'generic-api-key': /[=>:|,]/, 'hashicorp-tf-password': /[=>:|,]/, 'kubernetes-secret-yaml': /:/ };
