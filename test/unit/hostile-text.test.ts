import { describe, expect, it } from 'vitest';
import { BEGIN, END, blockFor, findBlock, spliceBlock } from '../../src/core/boot-block.js';
import { DEFAULT_CONFIG_TEXT, isDefaultConfigText } from '../../src/core/config.js';
import { parseSimpleYaml } from '../../src/core/simple-yaml.js';
import { duplicateKey, repeatedKeyIn } from '../../src/core/line-format.js';
import { parseRow } from '../../src/core/tsv.js';
import { jsonText } from '../../src/core/text.js';
import { withAttributes } from '../../src/git/merge-setup.js';
import { plainBytes } from '../../src/store/record-file.js';

describe('AGENTS.md block markers', () => {
  const block = blockFor('## Agent state\n\nNote: x <!-- agentstate:end --> y\n');

  it('neutralises any HTML comment opener in rendered text', () => {
    expect(block.split(END)).toHaveLength(2);
    expect(block).toContain('Note: x &lt;!-- agentstate:end --> y');
  });

  it.each([
    ['healthy', `intro\n\n${block}\nafter\n`, undefined],
    ['two ends', `intro\n\n${block}\njunk\n${END}\nafter\n`, '1 begin and 2 end markers where there should be one of each'],
    ['no end', `intro\n\n${block.replace(END, '')}after\n`, 'the end marker is missing'],
    ['no begin', `intro\n\n${block.replace(`${BEGIN}\n`, '')}\nafter\n`, 'the begin marker is missing'],
  ])('locates the block when %s', (_, text, damaged) => {
    const found = findBlock(text)!;
    expect(found.damaged).toBe(damaged);
    expect(spliceBlock(text, block)).toBe(`intro\n\n${block}\nafter\n`);
  });

  it('ignores markers that are not alone on their line, and keeps CRLF files CRLF', () => {
    const prose = `see \`${BEGIN}\` and ${END} here\n`;
    expect(findBlock(prose)).toBeUndefined();
    expect(spliceBlock(prose, block)).toBe(`${prose}\n${block}\n`);
    const crlf = `intro\r\n\r\n${block.replace(/\n/g, '\r\n')}\r\nafter\r\n`;
    expect(spliceBlock(crlf, block)).toBe(crlf);
    expect(spliceBlock(crlf, block.replace(/\n/g, '\r\n'))).toBe(crlf);
  });
});

describe('JSON output that a terminal cannot obey', () => {
  it('writes DEL, C1 controls, separators and bidi controls as \\u escapes, the same data', () => {
    const value = { ['k\u202e']: 'a\u009b31m\u007f\u2028\u2066\u001b' };
    const text = jsonText(value, 2);
    expect(text).toBe('{\n  "k\\u202e": "a\\u009b31m\\u007f\\u2028\\u2066\\u001b"\n}');
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('repeated keys in a JSON record', () => {
  it.each([
    ['{"a":1,"a":2}', 'a'],
    ['{"a":1,"b":{"c":1,"c":2}}', 'c'],
    ['{"a":[{"x":1},{"x":2,"x":3}]}', 'x'],
    ['{"a" : 1, "b":2, "a":3}', 'a'],
    ['{"\\u0061":1,"a":2}', 'a'],
  ])('finds the repeated key in %s', (json, key) => {
    expect(duplicateKey(json)?.key).toBe(key);
    expect(repeatedKeyIn(`- ${json}`, JSON.parse(json))).toBe(key);
  });

  it.each(['{"a":1,"b":{"a":2}}', '{"s":"\\"a\\":1, \\"a\\":2","t":[{"a":1},{"a":2}]}', '{}'])('finds none in %s', (json) => {
    expect(duplicateKey(json)).toBeUndefined();
    expect(repeatedKeyIn(json, JSON.parse(json))).toBeUndefined();
  });
});

describe('Windows line ends and byte-order marks', () => {
  it('reads bytes without a BOM and with LF line ends, and leaves plain bytes alone', () => {
    const plain = Buffer.from('a\nb\n');
    expect(plainBytes(plain)).toBe(plain);
    expect(plainBytes(Buffer.from('\uFEFFa\r\nb\r\n')).toString()).toBe('a\nb\n');
    expect(parseRow('id\tat\tc\tx\ta\to\tnotes\r')?.notes).toBe('notes');
  });

  it('takes the config text init writes, with CRLF and a BOM; the texts earlier versions wrote are read as written', () => {
    // The text init wrote up to version 0.1, verbatim.
    const earlier = `# agentstate settings. Edit by hand; unknown keys are kept.
schema: 1
git:
  commit: true          # record every change as a git commit (false: files only)
lock:
  timeout_ms: 10000     # how long a command waits for the state lock before exit 5
  stale_ms: 30000       # a lock older than this is broken (a dead holder's lock is broken at once)
limits:
  field_bytes: 4096     # a larger field is refused; use --attach FILE
archive:
  seal_bytes: 1048576   # an append-only log larger than this is sealed into archive/
boot:
  budget: 1500          # tokens for the AGENTS.md block
decisions:
  recent: 10            # recent decisions kept in decisions-index.yaml
runtime:
  heartbeat_stale_minutes: 60   # resume warns when the heartbeat is older
  types: {}             # optional field types for \`state set\`, e.g. {phase: string, attempts: number}
`;
    for (const text of [DEFAULT_CONFIG_TEXT, `\uFEFF${DEFAULT_CONFIG_TEXT.replace(/\n/g, '\r\n')}`]) expect(isDefaultConfigText(text)).toBe(true);
    expect(isDefaultConfigText(DEFAULT_CONFIG_TEXT.replace('4096', '8192'))).toBe(false);
    // Its seal size was the default then (1 MiB), not now (256 KiB): it is read, without the YAML library.
    expect(isDefaultConfigText(earlier)).toBe(false);
    expect(parseSimpleYaml(earlier)).toMatchObject({ archive: { seal_bytes: 1048576 }, limits: { field_bytes: 4096 } });
  });

  it('upgrades the attribute lines an older version wrote, in place', () => {
    const older = '*.png binary\n.agentstate/events.yaml merge=agentstate-log\nAGENTS.md merge=agentstate-boot\n';
    const upgraded = withAttributes(older);
    expect(upgraded.startsWith('*.png binary\n.agentstate/events.yaml merge=agentstate-log eol=lf\n/AGENTS.md merge=agentstate-boot\n')).toBe(true);
    expect(upgraded.match(/events\.yaml/g)).toHaveLength(1);
    expect(withAttributes(upgraded)).toBe(upgraded);
  });
});
