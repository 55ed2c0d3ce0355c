import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLAUDE, GEMINI, codexHooksFeature, withImport } from '../../src/core/agents.js';
import { JsonTextError, parseJsonText, setJson } from '../../src/core/json-text.js';
import { withContextFile, withMcpServer, withSessionHook } from '../../src/core/settings-edits.js';

const hook = { command: 'new agentstate resume', matcher: 'startup|compact', legacy: ['old-briefing agentstate resume'] };

describe('JSON settings edited as text', () => {
  it.each([
    ['an empty file', '', ['a'], 1, '{\n  "a": 1\n}\n'],
    ['an empty object', '{}\n', ['a'], { b: [1] }, '{\n  "a": {\n    "b": [\n      1\n    ]\n  }\n}\n'],
    ['a one-line file stays on one line', '{"x":1}', ['a'], 2, '{"x":1, "a": 2}'],
    ['three-space indentation', '{\n   "x": 1\n}\n', ['a'], [2], '{\n   "x": 1,\n   "a": [\n      2\n   ]\n}\n'],
    ['tabs', '{\n\t"x": {\n\t\t"y": 1\n\t}\n}\n', ['x', 'z'], 2, '{\n\t"x": {\n\t\t"y": 1,\n\t\t"z": 2\n\t}\n}\n'],
    ['CRLF line endings', '{\r\n  "x": 1\r\n}\r\n', ['a'], 2, '{\r\n  "x": 1,\r\n  "a": 2\r\n}\r\n'],
    ['a comment ending the last line stays on that line', '{\n  "x": 1 // why x\n}\n', ['a'], 2, '{\n  "x": 1, // why x\n  "a": 2\n}\n'],
    ['an inline list grows inline', '{\n  "n": ["a"]\n}\n', ['n', -1], 'b', '{\n  "n": ["a", "b"]\n}\n'],
  ])('%s', (_name, text, path, value, expected) => {
    expect(setJson(text, path as (string | number)[], value)).toBe(expected);
  });

  it('names line and column of a syntax error, comments allowed, trailing commas not', () => {
    expect(parseJsonText('{\n  // note\n  "a": 1\n}')).toEqual({ a: 1 });
    expect(() => parseJsonText('{\n  "a": 1,\n}\n')).toThrow(new JsonTextError('3:1: not valid JSON (PropertyNameExpected)'));
  });
});

describe('SessionStart hook', () => {
  it('is added once, with every other hook kept', () => {
    const text = '{\n  "hooks": {\n    "PreToolUse": [{ "matcher": "Bash", "hooks": [{ "type": "command", "command": "lint" }] }]\n  }\n}\n';
    const once = withSessionHook(text, hook).text;
    expect(JSON.parse(once).hooks).toEqual({
      PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'lint' }] }],
      SessionStart: [{ matcher: 'startup|compact', hooks: [{ type: 'command', command: 'new agentstate resume' }] }],
    });
    expect(withSessionHook(once, hook)).toEqual({ text: once });
  });

  it('replaces what an earlier agentstate wrote, leaves a hook the user wrote', () => {
    const legacy = JSON.stringify({ hooks: { SessionStart: [{ hooks: [{ type: 'command', command: 'old-briefing agentstate resume' }] }] } }, null, 2);
    expect(JSON.parse(withSessionHook(legacy, hook).text).hooks.SessionStart).toEqual([
      { matcher: 'startup|compact', hooks: [{ type: 'command', command: 'new agentstate resume' }] },
    ]);
    const own = JSON.stringify({ hooks: { SessionStart: [{ hooks: [{ type: 'command', command: 'agentstate resume --budget 2000' }] }] } });
    expect(withSessionHook(own, hook)).toEqual({ text: own, note: 'a SessionStart hook already runs `agentstate resume --budget 2000`; left as it is' });
  });

  it.each([
    ['[]', 'the file is not a JSON object'],
    ['{"hooks": []}', '"hooks" is not an object'],
    ['{"hooks": {"SessionStart": {}}}', '"hooks.SessionStart" is not a list'],
    ['{"hooks": {"SessionStart": [{"command": "x"}]}}', '"hooks.SessionStart[0]" has no "hooks" list'],
  ])('refuses %s', (text, message) => {
    expect(() => withSessionHook(text, hook)).toThrow(new JsonTextError(message));
  });

  it('Claude Code runs it after compaction too; Gemini CLI matches every start', () => {
    expect(new RegExp(`^(${CLAUDE.hook.matcher})$`).test('compact')).toBe(true);
    expect(GEMINI.hook.command).toMatch(/agentstate resume --budget \d+ --format hook$/);
    expect(CLAUDE.hook.command).not.toMatch(/(^|\s)\/(usr|home|opt)\//);
  });
});

describe('Gemini context file names', () => {
  it.each([
    ['{}', ['AGENTS.md', 'GEMINI.md']],
    ['{"context": {"fileName": "GEMINI.md"}}', ['GEMINI.md', 'AGENTS.md']],
    ['{"context": {"fileName": ["CONTEXT.md"]}}', ['CONTEXT.md', 'AGENTS.md']],
    ['{"context": {"fileName": "AGENTS.md"}}', 'AGENTS.md'],
  ])('%s', (text, expected) => {
    expect(JSON.parse(withContextFile(text, 'AGENTS.md', 'GEMINI.md').text).context.fileName).toEqual(expected);
  });
});

describe('MCP server entry', () => {
  it('is added once; a server of that name the user made is left', () => {
    const once = withMcpServer('{"mcpServers": {"other": {"command": "x"}}}', 'agentstate', { command: 'sh', args: ['mcp'] }).text;
    expect(JSON.parse(once).mcpServers).toEqual({ other: { command: 'x' }, agentstate: { command: 'sh', args: ['mcp'] } });
    expect(withMcpServer(once, 'agentstate', { command: 'sh', args: ['mcp'] })).toEqual({ text: once });
    expect(withMcpServer(once, 'agentstate', { command: 'agentstate', args: ['mcp'] }).note).toMatch(/already registered; left as it is/);
  });
});

describe('CLAUDE.md import and the Codex probe', () => {
  it('imports AGENTS.md once', () => {
    expect(withImport(withImport('# notes'))).toBe('# notes\n\n@AGENTS.md\n');
    expect(withImport(undefined)).toBe('@AGENTS.md\n');
  });

  it('reads the hooks feature from the real `codex features list` of Codex 0.169.0', () => {
    const output = readFileSync(join(import.meta.dirname, '../../fixtures/codex-features-0.169.0.txt'), 'utf8');
    expect(codexHooksFeature(output)).toEqual({ stage: 'stable', enabled: true });
    expect(codexHooksFeature('codex_hooks   experimental   false\n')).toEqual({ stage: 'experimental', enabled: false });
    expect(codexHooksFeature('plugin_hooks   removed   false\nhooks   removed   false\n')).toBeUndefined();
  });
});
