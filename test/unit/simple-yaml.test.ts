import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_CONFIG_TEXT, DEFAULT_CONFIG_TEXT_0_1 } from '../../src/core/config.js';
import { parseSimpleYaml } from '../../src/core/simple-yaml.js';

/** Whatever the simple reader accepts, it must read exactly as a YAML 1.2 parser does. */
const cases = [
  DEFAULT_CONFIG_TEXT,
  DEFAULT_CONFIG_TEXT_0_1,
  'git:\n  commit: squash   # comment\n  squash_window: 5m\nlock:\n  timeout_ms: 20000\n',
  'schema: 1\nboot:\n  budget: 800\n',
  'git:\n  commit: "with-code"\n',
  "git:\n  sign: 'never'\n",
  'runtime:\n  types: {}\n',
  '\uFEFFschema: 1\r\ngit:\r\n  commit: each\r\n',
  // handed to the full parser:
  'git:\n  commit: off\n',
  'lock:\n  stale_ms: 1e3\n',
  'lock:\n  stale_ms: 0x10\n',
  'runtime:\n  types: {phase: string}\n',
  'git:\n  commit: ~\n',
  'a:\n  b:\n    c: 1\n',
  'list:\n  - 1\n',
  'x: &a 1\ny: *a\n',
  'git:\n\tcommit: each\n',
  'git:\n  commit: each\ngit:\n  commit: squash\n',
  'key: "quoted \\" escape"\n',
  'ratio: 0.5\n',
];

describe('the simple YAML reader of config.yaml', () => {
  it.each(cases.map((text) => [JSON.stringify(text).slice(0, 60), text]))('%s', (_name, text) => {
    const simple = parseSimpleYaml(text);
    if (simple !== undefined) expect(simple).toEqual(parse(text.replace(/^\uFEFF/, ''), { version: '1.2' }));
  });

  it('reads the config files agentstate writes without the YAML parser', () => {
    for (const text of [DEFAULT_CONFIG_TEXT, DEFAULT_CONFIG_TEXT_0_1, cases[2]!, cases[7]!]) expect(parseSimpleYaml(text)).toBeDefined();
  });

  it('hands anything ambiguous to the full parser', () => {
    for (const text of cases.slice(8)) expect(parseSimpleYaml(text), text).toBeUndefined();
  });
});
