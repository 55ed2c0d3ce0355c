import { trieSource } from './keyword-trie.js';
import { GITLEAKS_ALLOW, GITLEAKS_IDS, GITLEAKS_KEYWORDS, GITLEAKS_MIN_CHARS, GITLEAKS_RULES_JSON, GITLEAKS_STOPWORDS } from './secret-rules.js';

/**
 * The secret scanner: gitleaks' rules (src/core/secret-rules.ts, generated from its config) run
 * the way gitleaks runs them. A rule runs only when one of its keywords is in the text; a match's
 * secret (its first non-empty capture group) must be more random than the rule's entropy floor;
 * allowlists drop known placeholders. Pure: text in, findings out.
 */
export interface PortedRule {
  id: string;
  source: string;
  flags: string;
  keywords: string[];
  entropy?: number;
  group?: number;
  /** The match counts only after this word, at most `lines` lines before it (the curl rules). */
  after?: { word: string; lines: number };
  allow?: Array<{ target: 'secret' | 'match' | 'line'; regexes?: Array<[string, string]>; stopwords?: string[] }>;
}

/**
 * Our additions, where gitleaks has no rule for what an agent's notes hold: a password in a URL
 * (any scheme, an empty user name too: `redis://:pw@host`), an AWS secret key by its name, a
 * private key whose END line was cut off, an OpenAI project key without its usual marker.
 */
const OWN_RULES: PortedRule[] = [
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

/**
 * Look-alikes we refuse to flag although a gitleaks rule matches: English that fits an AWS key id
 * (`ASIAPACIFICSOUTHEAST`). Key ids are base32 (A-Z, 2-7); for the prefixes that are also words
 * (ASIA, ABIA, ACCA) we ask for at least one digit, which all but 3.6% of random ids have.
 */
const EXTRA_CHECKS: Record<string, (secret: string) => boolean> = {
  'aws-access-token': (secret) => /^(?:AKIA|A3T)/.test(secret) || /[2-7]/.test(secret.slice(4)),
};

/** No rule matches fewer characters (gitleaks' shortest, measured by the port, and `a://:p@h`). */
const MIN_SECRET_CHARS = Math.min(GITLEAKS_MIN_CHARS, 8);

interface Compiled {
  rule: PortedRule;
  regex: RegExp;
  allow: Array<{ target: string; regexes: RegExp[]; stopwords: string[] }>;
}

/** What the tables need of a rule; the rule itself is read when it first runs. */
interface RuleHead {
  id: string;
  keywords: string[];
  load: () => PortedRule;
}

/**
 * gitleaks' rules and ours, specific ones first: a finding is named by the first rule that
 * matches, and a GitHub token in `token=ghp_…` is better called a GitHub token than a generic key.
 */
function ruleHeads(): RuleHead[] {
  const ported = GITLEAKS_IDS.map((id, i) => ({ id, keywords: GITLEAKS_KEYWORDS[i]!.split(' '), load: () => JSON.parse(GITLEAKS_RULES_JSON[i]!) as PortedRule }));
  const own = OWN_RULES.map((rule) => ({ id: rule.id, keywords: rule.keywords, load: () => rule }));
  return [...ported, ...own].sort((a, b) => Number(a.id.includes('generic')) - Number(b.id.includes('generic')));
}

/**
 * Keywords that ordinary prose is full of (`they`, `task`, `keys.`, `api`, `auth`, `token`). The
 * few rules they wake run on every text instead: each of their regexes holds its keyword, so the
 * result is the same, and a keyword search that stops at every `they` costs more than the regex.
 */
const COMMON_KEYWORDS = new Set(['ey', 'sk', 's.', 'api', 'key', 'access', 'auth', 'token', 'secret', 'password', 'passwd', 'credential', 'creds']);

/**
 * Characters a rule's regex cannot match without: a cheaper test than the regex, for the rules
 * that run on every text. The assignment-style rules need one of their operators (= > : | ,).
 */
const NEEDS: Record<string, RegExp> = { 'generic-api-key': /[=>:|,]/, 'hashicorp-tf-password': /[=>:|,]/, 'kubernetes-secret-yaml': /:/ };

interface Tables {
  /** Finds every keyword of the other rules, longest first at each position. */
  keywords: RegExp;
  /** The rules a keyword wakes: its own and those of the shorter keywords inside it. */
  rulesOf: Map<string, number[]>;
  /** True when the text holds a common keyword (most ids, times and names do not). */
  anyCommon: RegExp;
  /** Rules woken by a common keyword: run on every text that has one (and what they need). */
  always: Array<[number, RegExp | undefined]>;
  rules: Array<Compiled | undefined>;
  /** Marks rules already taken for the current text (compared with `generation`). */
  taken: Uint32Array;
  heads: RuleHead[];
}

let compiled: Tables | undefined;
let generation = 0;

/** Built on first use: one regex that finds every keyword, and the rules each wakes. */
function tables(): Tables {
  if (compiled) return compiled;
  const heads = ruleHeads();
  const always: Tables['always'] = [];
  const byKeyword = new Map<string, number[]>();
  heads.forEach((rule, i) => {
    if (rule.keywords.some((keyword) => COMMON_KEYWORDS.has(keyword))) always.push([i, NEEDS[rule.id]]);
    else for (const keyword of rule.keywords) byKeyword.set(keyword, [...(byKeyword.get(keyword) ?? []), i]);
  });
  // The scan reports the longest keyword at a position: it stands for the shorter ones it starts
  // with too. Keywords that start later inside it are found by the scan itself.
  const rulesOf = new Map<string, number[]>();
  for (const [word, own] of byKeyword) {
    const rules = [...own];
    for (let length = 1; length < word.length; length++) rules.push(...(byKeyword.get(word.slice(0, length)) ?? []));
    rulesOf.set(word, rules);
  }
  compiled = {
    keywords: new RegExp(trieSource([...byKeyword.keys()].sort()), 'g'),
    anyCommon: new RegExp(trieSource([...COMMON_KEYWORDS].sort()), 'i'),
    rulesOf,
    always,
    rules: [],
    taken: new Uint32Array(heads.length),
    heads,
  };
  return compiled;
}

function compile(index: number): Compiled {
  const table = tables();
  let entry = table.rules[index];
  if (!entry) {
    const rule = table.heads[index]!.load();
    entry = {
      rule,
      regex: new RegExp(rule.source, `${rule.flags}g`),
      allow: (rule.allow ?? []).map((item) => ({ target: item.target, regexes: (item.regexes ?? []).map(([s, f]) => new RegExp(s, f)), stopwords: item.stopwords ?? [] })),
    };
    table.rules[index] = entry;
  }
  return entry;
}

/**
 * The rules to run on the text, in rule order: those whose keywords occur in it, and those that
 * run on every text. The keyword scan restarts one character after
 * each keyword found, so a keyword that overlaps another is found too. `check` runs this over
 * every string of 100,000s of records: no allocation per keyword found.
 */
function candidates(text: string): number[] {
  const { keywords, rulesOf, always, anyCommon, taken } = tables();
  generation = (generation + 1) >>> 0 || 1;
  const out: number[] = [];
  if (anyCommon.test(text)) {
    for (let i = 0; i < always.length; i++) {
      const [index, needs] = always[i]!;
      if (needs && !needs.test(text)) continue;
      taken[index] = generation;
      out.push(index);
    }
  }
  // Keywords are lower case; a regex without the i flag on lower-cased text is faster.
  const lower = text.toLowerCase();
  keywords.lastIndex = 0;
  for (let match = keywords.exec(lower); match; match = keywords.exec(lower)) {
    const rules = rulesOf.get(match[0])!;
    for (let i = 0; i < rules.length; i++) {
      const index = rules[i]!;
      if (taken[index] === generation) continue;
      taken[index] = generation;
      out.push(index);
    }
    keywords.lastIndex = match.index + 1;
  }
  return out.length > 1 ? out.sort((a, b) => a - b) : out;
}

export function shannonEntropy(text: string): number {
  if (text === '') return 0;
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

export interface SecretMatch {
  rule: string;
  /** Where the whole match is in the text (the part to hide when the text is shown). */
  start: number;
  end: number;
}

function lineAround(text: string, start: number, end: number): string {
  const from = text.lastIndexOf('\n', start - 1) + 1;
  const to = text.indexOf('\n', end);
  return text.slice(from, to < 0 ? text.length : to);
}

/**
 * The match as gitleaks sees it: its regexes begin with `[\w.-]{0,50}?`, which the port drops for
 * speed, so the context left of the keyword (`primaryKey`, not `Key`) is put back here.
 */
function withContext(text: string, start: number, end: number): string {
  let from = start;
  while (from > 0 && start - from < 50 && /[\w.-]/.test(text[from - 1]!)) from--;
  return text.slice(from, end);
}

/** `word` (a whole word, any case) within `lines` lines before `at`, as the rule's `\bword\b.*…` had it. */
function wordBefore(text: string, at: number, { word, lines }: { word: string; lines: number }): boolean {
  let from = at;
  for (let breaks = 0; from > 0 && at - from < 10_000; from--) {
    if (text[from - 1] === '\n' && ++breaks > lines * 2) break;
  }
  return new RegExp(`\\b${word}\\b`, 'i').test(text.slice(from, at));
}

let globalAllow: RegExp[] | undefined;

function allowed(entry: Compiled, secret: string, text: string, start: number, end: number): boolean {
  // Compiled when a rule first matches: most texts never get here.
  const allow = (globalAllow ??= GITLEAKS_ALLOW.map(([source, flags]) => new RegExp(source, flags)));
  const lower = secret.toLowerCase();
  if (allow.some((regex) => regex.test(secret)) || GITLEAKS_STOPWORDS.some((word) => lower.includes(word))) return true;
  for (const item of entry.allow) {
    const target = item.target === 'match' ? withContext(text, start, end) : item.target === 'line' ? lineAround(text, start, end) : secret;
    if (item.regexes.some((regex) => regex.test(target)) || item.stopwords.some((word) => lower.includes(word))) return true;
  }
  return !(EXTRA_CHECKS[entry.rule.id]?.(secret) ?? true);
}

/**
 * Call `found` for each secret in the text (each match of each rule that survives the entropy
 * floor and the allowlists) until it returns true. A callback, not a generator: `check` calls
 * this for every string of 100,000s of records.
 */
export function scanSecrets(text: string, found: (match: SecretMatch) => boolean): void {
  if (text.length < MIN_SECRET_CHARS) return;
  for (const index of candidates(text)) {
    const entry = compile(index);
    const { regex, rule } = entry;
    regex.lastIndex = 0;
    for (let match = regex.exec(text); match; match = regex.exec(text)) {
      if (match[0] === '') {
        regex.lastIndex++;
        continue;
      }
      const secret = (rule.group ? match[rule.group] : match.slice(1).find((group) => group)) ?? match[0].replace(/^\n+|\n+$/g, '');
      if (rule.entropy && shannonEntropy(secret) <= rule.entropy) continue;
      if (rule.after && !wordBefore(text, match.index, rule.after)) continue;
      if (allowed(entry, secret, text, match.index, match.index + match[0].length)) continue;
      if (found({ rule: rule.id, start: match.index, end: match.index + match[0].length })) return;
    }
  }
}

/** How many rules the scanner has (gitleaks' and ours). */
export const ruleCount = () => tables().heads.length;
