#!/usr/bin/env python3
"""Port gitleaks' rule set (config/gitleaks.toml) to src/core/secret-rules.ts.

Usage: python3 scripts/port-gitleaks.py <gitleaks checkout> > src/core/secret-rules.ts

gitleaks is the reference for what a secret looks like (issue 16): its rules carry keywords (a
rule runs only when one is in the text), an entropy floor for the captured secret, and allowlists
of known look-alikes. This script converts its Go (RE2) regexes to JavaScript ones:
  - `(?i)` anywhere, and `(?i:...)` groups, make the whole regex case-insensitive (a little
    broader than RE2's scoped flag, never narrower); `(?-i:...)` becomes a plain group;
  - `(?s:.)` becomes `[\\s\\S]`, `[[:alnum:]]` becomes `[A-Za-z0-9]`, `\\z` becomes `$`,
    `(?P<name>` becomes `(?<name>`, `[^]]` becomes `[^\\]]`;
  - a leading `[\\w.-]{0,50}?` (context left of the keyword) is dropped: same findings, faster;
  - a leading `\\bcurl\\b` and up to five lines (the curl rules) become a look-back the scanner
    does, so that the regex stays linear in a backtracking engine.
Each converted regex is compiled by Node before it is written. Rules that match file paths only
(no regex) and allowlists scoped to paths are left out: agentstate scans field text, not files.
"""
import json
import re
import subprocess
import sys
import tomllib
import warnings

with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    import sre_parse  # deprecated, still the only way to get a regex's minimum width

CHECKOUT = sys.argv[1]


def git(*args):
    return subprocess.run(['git', '-C', CHECKOUT, *args], check=True, capture_output=True, text=True).stdout


# Keywords that ordinary prose is full of (`they`, `task`, `keys.`, `api`, `auth`, `token`). The
# few rules they wake run on every text that has one: each of their regexes holds its keyword, so
# the result is the same, and a keyword search that stops at every `they` costs more than them.
COMMON = {'ey', 'sk', 's.', 'api', 'key', 'access', 'auth', 'token', 'secret', 'password', 'passwd', 'credential', 'creds'}
SPECIAL = set('\\^$.*+?()[]{}|/-')


def trie(words, depth=0):
    """One regex for many sorted words, shaped as a trie: V8 tries the alternatives at each
    position one by one, and a trie has few at each step (twice as fast as a flat list of 230
    words). A word that goes on ends in an optional tail, so the longest word is the one found."""
    branches, ends, i = [], False, 0
    while i < len(words):
        if len(words[i]) == depth:
            ends, i = True, i + 1
            continue
        ch, j = words[i][depth], i + 1
        while j < len(words) and words[j][depth] == ch:
            j += 1
        branches.append(('\\' + ch if ch in SPECIAL else ch) + trie(words[i:j], depth + 1))
        i = j
    if not branches:
        return ''
    body = branches[0] if len(branches) == 1 else '(?:' + '|'.join(branches) + ')'
    return '(?:' + body + ')?' if ends else body


CONTEXT = '[\\w.-]{0,50}?'
AFTER_WORD = re.compile(r'^\\b(\w+)\\b\(\?:\.\*\??\|\.\*\??\(\?:\[\\r\\n\]\{1,2\}\.\*\??\)\{1,5\}\)')


def convert(source):
    flags = ''
    if '(?i)' in source or '(?i:' in source:
        flags = 'i'
    out = source.replace('(?i)', '').replace('(?i:', '(?:').replace('(?-i:', '(?:')
    out = out.replace('(?s:.)', '[\\s\\S]').replace('[[:alnum:]]', '[A-Za-z0-9]').replace('[:alnum:]', 'A-Za-z0-9')
    out = out.replace('(?P<', '(?<').replace('[^]]', '[^\\]]')
    out = re.sub(r'(?<!\\)((?:\\\\)*)\\z', r'\1$', out)
    # A leading `[\w.-]{0,50}?` only widens the match to the left (gitleaks shows it as context);
    # it never decides whether a rule matches, and it makes an unanchored search 50 times slower.
    out = out.replace(CONTEXT + '(?:' + CONTEXT, '(?:') if out.startswith(CONTEXT + '(?:' + CONTEXT) else out
    out = out[len(CONTEXT):] if out.startswith(CONTEXT) else out
    return out, flags


def main():
    commit = git('rev-parse', 'HEAD').strip()
    config = tomllib.loads(git('show', 'HEAD:config/gitleaks.toml'))
    rules = []
    checks = []
    for rule in config['rules']:
        if 'regex' not in rule:
            continue
        source, flags = convert(rule['regex'])
        entry = {'id': rule['id'], 'source': source, 'flags': flags, 'keywords': sorted(set(k.lower() for k in rule.get('keywords', [])))}
        after = AFTER_WORD.match(source)
        if after:
            # `\bcurl\b.*?` then up to 5 more lines, then the header: linear in RE2, quadratic in a
            # backtracking engine on text full of `curl -H` (2.6 s for 20 KB). The scanner runs the
            # rest of the regex and looks back for the word instead (linear).
            entry['source'] = source[after.end():]
            entry['after'] = {'word': after.group(1), 'lines': 5}
        if rule.get('entropy'):
            entry['entropy'] = rule['entropy']
        if rule.get('secretGroup'):
            entry['group'] = rule['secretGroup']
        allows = []
        for allow in rule.get('allowlists', []):
            if allow.get('paths') or allow.get('commits'):
                continue
            item = {'target': allow.get('regexTarget', 'secret')}
            regexes = [convert(r) for r in allow.get('regexes', [])]
            if regexes:
                item['regexes'] = [[s, f] for s, f in regexes]
            if allow.get('stopwords'):
                item['stopwords'] = sorted(set(w.lower() for w in allow['stopwords']))
            allows.append(item)
        if allows:
            entry['allow'] = allows
        rules.append(entry)
        checks.append([source, flags])
        for allow in allows:
            checks.extend(allow.get('regexes', []))
    global_allow = [list(convert(r)) for r in config['allowlist'].get('regexes', [])]
    # The fewest characters any rule can match: shorter text is not scanned at all.
    min_chars = min(sre_parse.parse(e['source'].replace('(?<', '(?P<')).getwidth()[0] + len(e.get('after', {}).get('word', '')) for e in rules)
    checks.extend(global_allow)
    # Every converted regex must compile in JavaScript.
    node = subprocess.run(['node', '-e', 'for (const [s, f] of JSON.parse(require("fs").readFileSync(0, "utf8"))) new RegExp(s, f)'],
                          input=json.dumps(checks), capture_output=True, text=True)
    if node.returncode != 0:
        sys.exit(f'a converted regex does not compile: {node.stderr}')
    # Specific rules first, generic ones last: a finding is named by the first rule that matches.
    rules.sort(key=lambda e: 'generic' in e['id'])
    generic_from = next(i for i, e in enumerate(rules) if 'generic' in e['id'])
    always = [i for i, e in enumerate(rules) if any(k in COMMON for k in e['keywords'])]
    by_keyword = {}
    for i, e in enumerate(rules):
        if i not in always:
            for k in e['keywords']:
                by_keyword.setdefault(k, []).append(i)
    # The scan reports the longest keyword at a position: it stands for the shorter ones it starts
    # with too. Keywords that start later inside it are found by the scan itself.
    rules_of = {w: sorted(set(sum((by_keyword.get(w[:n], []) for n in range(1, len(w) + 1)), []))) for w in by_keyword}
    print(f'''// Generated by scripts/port-gitleaks.py from gitleaks {commit[:12]} config/gitleaks.toml. Do not edit:
// regenerate. The rules are gitleaks' own (https://github.com/gitleaks/gitleaks, MIT License,
// Copyright (c) 2019 Zachary Rice), converted from Go RE2 syntax to JavaScript.

export const GITLEAKS_COMMIT = '{commit}';

/** Rule ids, specific rules first; rules from GITLEAKS_GENERIC_FROM on are the generic ones. */
export const GITLEAKS_IDS: string[] = {json.dumps([e['id'] for e in rules])};

export const GITLEAKS_GENERIC_FROM = {generic_from};

/** Rules woken by a keyword that ordinary prose is full of ({', '.join(sorted(COMMON))}). */
export const GITLEAKS_ALWAYS: number[] = {json.dumps(always)};

/** A regex (a trie of the other rules' keywords) that finds the longest keyword at a position. */
export const GITLEAKS_KEYWORD_REGEX = {json.dumps(trie(sorted(by_keyword)))};

/** A regex that finds any of the common keywords. */
export const GITLEAKS_COMMON_REGEX = {json.dumps(trie(sorted(COMMON)))};

/** The rules each keyword wakes. */
export const GITLEAKS_RULES_OF: Record<string, number[]> = {json.dumps(rules_of)};

/** Each rule in full as JSON text, parsed when one of its keywords is first seen. */
export const GITLEAKS_RULES_JSON: string[] = [''')
    for entry in rules:
        print(f'  {json.dumps(json.dumps(entry, ensure_ascii=True))},')
    print('];\n')
    print('/** Global allowlist: a captured secret matching one of these is a placeholder, not a secret. */')
    print(f'export const GITLEAKS_ALLOW: Array<[string, string]> = {json.dumps(global_allow)};\n')
    print('/** No gitleaks rule matches fewer characters. */')
    print(f'export const GITLEAKS_MIN_CHARS = {min_chars};\n')
    print(f'export const GITLEAKS_STOPWORDS: string[] = {json.dumps(sorted(set(w.lower() for w in config["allowlist"].get("stopwords", []))))};')


main()
