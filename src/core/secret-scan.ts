import { EXTRA_CHECKS, NEEDS, OWN_KEYWORDS, OWN_RULES } from './secret-own-rules.js';
import {
  GITLEAKS_ALLOW,
  GITLEAKS_ALWAYS,
  GITLEAKS_COMMON_REGEX,
  GITLEAKS_GENERIC_FROM,
  GITLEAKS_IDS,
  GITLEAKS_KEYWORD_REGEX,
  GITLEAKS_MIN_CHARS,
  GITLEAKS_RULES_JSON,
  GITLEAKS_RULES_OF,
  GITLEAKS_STOPWORDS,
} from './secret-rules.js';

/**
 * The secret scanner: gitleaks' rules (src/core/secret-rules.ts, generated from its config by
 * scripts/port-gitleaks.py, with the keyword index) run the way gitleaks runs them, then ours
 * (secret-own-rules.ts). A rule runs only when one of its keywords is in the text; a match's
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

/** No rule matches fewer characters (gitleaks' shortest, measured by the port, and `a://:p@h`). */
const MIN_SECRET_CHARS = Math.min(GITLEAKS_MIN_CHARS, 8);

interface Compiled {
  rule: PortedRule;
  regex: RegExp;
  allow: Array<{ target: string; regexes: RegExp[]; stopwords: string[] }>;
}

/**
 * Rule numbers: gitleaks' rules by their index in the generated tables (specific ones, then the
 * generic ones from GITLEAKS_GENERIC_FROM), ours after them. Ours run between the two groups.
 */
const OWN_FROM = GITLEAKS_IDS.length;

interface Tables {
  keywords: RegExp;
  rulesOf: Map<string, number[]>;
  anyCommon: RegExp;
  /** The common-keyword rules, with what their text must hold. */
  always: Array<[number, RegExp | undefined]>;
  rules: Array<Compiled | undefined>;
  /** Marks rules already taken for the current text (compared with `generation`). */
  taken: Uint32Array;
}

let built: Tables | undefined;
let generation = 0;

/** Built on first use; the index itself is generated, so this only compiles two regexes. */
function tables(): Tables {
  built ??= {
    keywords: new RegExp(GITLEAKS_KEYWORD_REGEX, 'g'),
    rulesOf: new Map(Object.entries(GITLEAKS_RULES_OF)),
    anyCommon: new RegExp(GITLEAKS_COMMON_REGEX, 'i'),
    always: GITLEAKS_ALWAYS.map((index) => [index, NEEDS[GITLEAKS_IDS[index]!]]),
    rules: [],
    taken: new Uint32Array(OWN_FROM + OWN_RULES.length),
  };
  return built;
}

function compile(index: number): Compiled {
  const table = tables();
  let entry = table.rules[index];
  if (!entry) {
    const rule = index < OWN_FROM ? (JSON.parse(GITLEAKS_RULES_JSON[index]!) as PortedRule) : OWN_RULES[index - OWN_FROM]!;
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
 * The rules to run on the text, in the order they run: gitleaks' specific rules, ours, gitleaks'
 * generic ones. The keyword scan restarts one character after each keyword it finds, so a keyword
 * that overlaps another is found too. `check` runs this over every string of 100,000s of records.
 */
function candidates(text: string): number[] {
  const { keywords, rulesOf, always, anyCommon, taken } = tables();
  generation = (generation + 1) >>> 0 || 1;
  const found: number[] = [];
  if (anyCommon.test(text)) {
    for (let i = 0; i < always.length; i++) {
      const [index, needs] = always[i]!;
      if (needs && !needs.test(text)) continue;
      taken[index] = generation;
      found.push(index);
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
      found.push(index);
    }
    keywords.lastIndex = match.index + 1;
  }
  if (OWN_KEYWORDS.test(text)) OWN_RULES.forEach((rule, i) => rule.keywords.some((keyword) => lower.includes(keyword)) && found.push(OWN_FROM + i));
  return found.length > 1 ? found.sort((a, b) => runOrder(a) - runOrder(b)) : found;
}

/** Our rules run after gitleaks' specific ones and before its generic ones. */
const runOrder = (index: number) => (index >= OWN_FROM ? GITLEAKS_GENERIC_FROM - 0.5 : index);

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
export const RULE_COUNT = OWN_FROM + OWN_RULES.length;
