import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { BIN, baseEnv, cli, commitCount, filesOf, git, json, read, stateRepo, tempDir } from '../helpers/cli.js';

/** A PATH on which `agentstate` is this build, as after `npm i -g agentstate-cli`. */
function installedPath(): string {
  const bin = tempDir('agentstate-path-');
  symlinkSync(BIN, join(bin, 'agentstate'));
  return `${bin}:${process.env.PATH}`;
}

/** Run a command line an agent tool would run from its settings, in the project, as its shell does. */
function runHook(dir: string, command: string) {
  const result = spawnSync('sh', ['-c', command], { cwd: dir, env: baseEnv({ PATH: installedPath() }), encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function put(dir: string, path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

/** Every file of the work tree (state included), for byte-identical checks. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const path = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.name === '.git' || entry.name === '.locks') continue;
      if (entry.isDirectory()) walk(path);
      else files[path] = readFileSync(join(dir, path), 'utf8');
    }
  };
  walk('');
  return files;
}

const CLAUDE_SETTINGS = `{
   // team settings: keep these comments
   "permissions": { "allow": ["Bash(npm test)"] },
   "hooks": {
      "PreToolUse": [ { "matcher": "Bash", "hooks": [ { "type": "command", "command": "./scripts/guard.sh" } ] } ],
      "SessionStart": [
         { "matcher": "startup", "hooks": [ { "type": "command", "command": "cat .claude/motd.txt" } ] } // greeting
      ]
   },
   "env": { "NODE_ENV": "development" }
}
`;

describe('setup claude', () => {
  it('inserts the hook into an existing settings.json without touching a byte of the rest; twice changes nothing', () => {
    const dir = stateRepo();
    put(dir, 'CLAUDE.md', '# Claude notes\nBe brief.\n');
    put(dir, '.claude/settings.json', CLAUDE_SETTINGS);
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'claude settings');
    const first = cli(dir, ['setup', 'claude']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Claude Code now boots from agentstate: wrote CLAUDE.md, .claude\/settings.json\n/);
    const settings = read(dir, '.claude/settings.json');
    const command = JSON.parse(
      settings
        .split('\n')
        .filter((line) => !line.trim().startsWith('//'))
        .join('\n')
        .replace(' // greeting', ''),
    ).hooks.SessionStart[1].hooks[0].command as string;
    // The user's lines are all there, in order, unchanged; the one line that got a comma keeps its comment.
    expect(settings.split('\n').slice(0, 6)).toEqual(CLAUDE_SETTINGS.split('\n').slice(0, 6));
    expect(settings).toContain('         { "matcher": "startup", "hooks": [ { "type": "command", "command": "cat .claude/motd.txt" } ] }, // greeting\n');
    expect(settings).toContain('         {\n            "matcher": "startup|resume|clear|compact",\n            "hooks": [\n');
    expect(settings.endsWith('   "env": { "NODE_ENV": "development" }\n}\n')).toBe(true);
    expect(command).toMatch(/^sh -c '.*' agentstate resume --budget 500$/);
    expect(read(dir, 'CLAUDE.md')).toBe('# Claude notes\nBe brief.\n\n@AGENTS.md\n');

    const commits = commitCount(dir);
    const again = cli(dir, ['setup', 'claude']);
    expect(again.stdout.trim()).toBe('Claude Code is already set up; nothing changed');
    expect(read(dir, '.claude/settings.json')).toBe(settings);
    expect(commitCount(dir)).toBe(commits);
  });

  it('writes the user’s files and leaves committing them to the user: staged work and the next command untouched', () => {
    const dir = stateRepo();
    put(dir, 'CLAUDE.md', '# Claude notes\n');
    put(dir, 'src/app.ts', 'export {};\n');
    git(dir, 'add', 'CLAUDE.md', 'src/app.ts');
    git(dir, 'commit', '-q', '-m', 'app');
    put(dir, 'src/app.ts', 'export const staged = 1;\n');
    git(dir, 'add', 'src/app.ts');
    const commits = commitCount(dir);
    const result = cli(dir, ['setup', 'claude']);
    expect(result.stdout).toContain('  these are your files: review them, then `git add CLAUDE.md .claude/settings.json` and commit\n');
    expect(commitCount(dir)).toBe(commits);
    expect(git(dir, 'status', '--porcelain')).toBe(' M CLAUDE.md\nM  src/app.ts\n?? .claude/\n');
    expect(cli(dir, ['log', 'next']).code).toBe(0);
    expect(filesOf(dir)).toEqual(['.agentstate/events.yaml']);
    expect(git(dir, 'status', '--porcelain')).toBe(' M CLAUDE.md\nM  src/app.ts\n?? .claude/\n');
  });

  it('the hook it writes prints the briefing, with no path of this machine in it', () => {
    const dir = stateRepo();
    cli(dir, ['decide', 'Move the cache to Redis', '--why', 'p99 is 800 ms']);
    expect(cli(dir, ['setup', 'claude']).code).toBe(0);
    const group = JSON.parse(read(dir, '.claude/settings.json')).hooks.SessionStart[0];
    expect(group.matcher.split('|')).toEqual(['startup', 'resume', 'clear', 'compact']);
    expect(group.hooks[0].command).not.toContain(dirname(process.execPath));
    expect(group.hooks[0].command).not.toContain(dirname(BIN));
    const hook = runHook(dir, group.hooks[0].command);
    expect(hook.code).toBe(0);
    expect(hook.stdout).toContain('Move the cache to Redis');
    expect(Buffer.byteLength(hook.stdout)).toBeLessThanOrEqual(500 * 4);
  });

  it('with an unparsable settings.json changes nothing at all: CLAUDE.md, settings and git stay as they were', () => {
    const dir = stateRepo();
    put(dir, 'CLAUDE.md', '# Claude notes\n');
    put(dir, '.claude/settings.json', '{\n  "permissions": {},\n}\n');
    const before = snapshot(dir);
    const commits = commitCount(dir);
    const result = cli(dir, ['setup', 'claude']);
    expect(snapshot(dir)).toEqual(before);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^agentstate: \.claude\/settings\.json:3:1: not valid JSON \(PropertyNameExpected\)\n {2}hint: nothing was changed; fix the file by hand/);
    expect(commitCount(dir)).toBe(commits);
    // The next unrelated command commits nothing of set-up's.
    expect(cli(dir, ['log', 'next']).code).toBe(0);
    expect(filesOf(dir)).toEqual(['.agentstate/events.yaml']);
  });

  it('with --mcp and an unparsable .mcp.json, CLAUDE.md and settings.json are not written either', () => {
    const dir = stateRepo();
    put(dir, '.mcp.json', '{ "mcpServers": { "docs": } }\n');
    const before = snapshot(dir);
    const result = cli(dir, ['setup', 'claude', '--mcp']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^agentstate: \.mcp\.json:1:27: not valid JSON \(ValueExpected\)/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('replaces the hook an earlier version wrote, keeps a hook the user wrote', () => {
    const legacy = stateRepo();
    put(legacy, '.claude/settings.json', JSON.stringify({ hooks: { SessionStart: [{ hooks: [{ type: 'command', command: 'agentstate resume --budget 500' }] }] } }, null, 2));
    expect(cli(legacy, ['setup', 'claude']).code).toBe(0);
    const groups = JSON.parse(read(legacy, '.claude/settings.json')).hooks.SessionStart;
    expect(groups).toHaveLength(1);
    expect(groups[0].matcher).toBe('startup|resume|clear|compact');
    expect(groups[0].hooks[0].command).toMatch(/^sh -c /);

    const own = stateRepo();
    const mine = JSON.stringify({ hooks: { SessionStart: [{ hooks: [{ type: 'command', command: 'agentstate resume --budget 2000 --focus auth' }] }] } });
    put(own, '.claude/settings.json', mine);
    const result = cli(own, ['setup', 'claude']);
    expect(result.stdout).toContain('.claude/settings.json: a SessionStart hook already runs `agentstate resume --budget 2000 --focus auth`; left as it is');
    expect(read(own, '.claude/settings.json')).toBe(mine);
  });

  it('--mcp registers the server in .mcp.json, and a real MCP client starts it from there', async () => {
    const dir = stateRepo();
    put(dir, '.mcp.json', '{\n\t"mcpServers": {\n\t\t"docs": { "command": "docs-server" }\n\t}\n}\n');
    const result = json(cli(dir, ['setup', 'claude', '--mcp', '--json']));
    expect(result.written).toEqual(['CLAUDE.md', '.claude/settings.json', '.mcp.json']);
    const text = read(dir, '.mcp.json');
    expect(text.startsWith('{\n\t"mcpServers": {\n\t\t"docs": { "command": "docs-server" },\n\t\t"agentstate": {\n\t\t\t"command": "sh",\n')).toBe(true);
    const entry = JSON.parse(text).mcpServers.agentstate;
    const client = new Client({ name: 'setup-test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: entry.command, args: entry.args, cwd: dir, env: baseEnv({ PATH: installedPath() }) as Record<string, string> }));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('resume');
    } finally {
      await client.close();
    }
  });
});

describe('setup codex', () => {
  const HOOKS = `{
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Bash",
        "hooks": [{ "type": "command", "command": "python3 .codex/hooks/guard.py", "timeout": 30 }]
      }
    ]
  }
}
`;

  it('without a Codex that has hooks: AGENTS.md is enough, said so, nothing written', () => {
    const dir = stateRepo();
    const before = snapshot(dir);
    const commits = commitCount(dir);
    const result = cli(dir, ['setup', 'codex'], { PATH: dirname(process.execPath) + ':/usr/bin:/bin' });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'Codex reads AGENTS.md natively: that is enough.\n  codex is not on PATH, so no session hook was written (`agentstate setup codex --hooks` writes one anyway)\n',
    );
    expect(snapshot(dir)).toEqual(before);
    expect(commitCount(dir)).toBe(commits);
  });

  it('--hooks adds the session hook to an existing hooks.json, keeping its other hooks and layout; the hook prints the briefing', () => {
    const dir = stateRepo();
    put(dir, '.codex/hooks.json', HOOKS);
    expect(cli(dir, ['setup', 'codex', '--hooks']).code).toBe(0);
    const text = read(dir, '.codex/hooks.json');
    expect(text.startsWith(HOOKS.slice(0, HOOKS.lastIndexOf('    ]')))).toBe(true);
    const hooks = JSON.parse(text).hooks;
    expect(hooks.PreToolUse).toEqual(JSON.parse(HOOKS).hooks.PreToolUse);
    expect(hooks.SessionStart[0].matcher).toBe('startup|resume|clear|compact');
    cli(dir, ['log', 'Benchmarked Redis']);
    expect(runHook(dir, hooks.SessionStart[0].hooks[0].command).stdout).toContain('Benchmarked Redis');
    expect(cli(dir, ['setup', 'codex', '--hooks']).stdout.trim()).toBe('Codex is already set up; nothing changed');
  });

  it('--mcp is refused with the Codex command to run instead', () => {
    const result = cli(stateRepo(), ['setup', 'codex', '--mcp']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('codex mcp add agentstate -- agentstate mcp');
  });
});

describe('setup gemini', () => {
  const SETTINGS = `{
\t// Gemini CLI reads comments in settings.json
\t"context": { "fileName": "GEMINI.md" },
\t"hooks": {
\t\t"BeforeTool": [
\t\t\t{ "matcher": "write_file", "hooks": [ { "name": "guard", "type": "command", "command": "./guard.sh" } ] }
\t\t]
\t},
\t"ui": { "theme": "GitHub" }
}
`;

  it('adds AGENTS.md to the context files and a SessionStart hook whose output Gemini reads as context', () => {
    const dir = stateRepo();
    put(dir, '.gemini/settings.json', SETTINGS);
    cli(dir, ['backlog', 'add', 'Migrate sessions table', '--priority', 'P1']);
    const result = cli(dir, ['setup', 'gemini']);
    expect(result.code).toBe(0);
    const text = read(dir, '.gemini/settings.json');
    expect(text).toContain('\t// Gemini CLI reads comments in settings.json\n\t"context": { "fileName": ["GEMINI.md","AGENTS.md"] },\n');
    expect(text).toContain('\t\t\t{ "matcher": "write_file", "hooks": [ { "name": "guard", "type": "command", "command": "./guard.sh" } ] }\n\t\t],\n\t\t"SessionStart": [\n');
    expect(text.endsWith('\t"ui": { "theme": "GitHub" }\n}\n')).toBe(true);
    const settings = JSON.parse(text.replace(/^\t\/\/.*\n/m, ''));
    const [group] = settings.hooks.SessionStart;
    expect(group.matcher).toBeUndefined();
    const hook = runHook(dir, group.hooks[0].command);
    expect(hook.code).toBe(0);
    const output = JSON.parse(hook.stdout);
    expect(output.hookSpecificOutput.hookEventName).toBe('SessionStart');
    expect(output.hookSpecificOutput.additionalContext).toContain('Migrate sessions table');
    expect(cli(dir, ['setup', 'gemini']).stdout.trim()).toBe('Gemini CLI is already set up; nothing changed');
  });

  it('an unterminated comment: exit 1 naming the place, nothing written', () => {
    const dir = stateRepo();
    put(dir, '.gemini/settings.json', '{\n  /* unfinished\n  "ui": {}\n}\n');
    const before = snapshot(dir);
    const result = cli(dir, ['setup', 'gemini', '--mcp']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^agentstate: \.gemini\/settings\.json:2:3: not valid JSON/);
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('setup cursor', () => {
  it('writes an always-applied project rule pointing at AGENTS.md; an edited rule is left alone', () => {
    const dir = stateRepo();
    const result = cli(dir, ['setup', 'cursor', '--mcp']);
    expect(result.code).toBe(0);
    const rule = read(dir, '.cursor/rules/agentstate.mdc');
    expect(rule).toMatch(/^---\ndescription: .+\nalwaysApply: true\n---\n/);
    expect(rule).toContain('@AGENTS.md');
    expect(rule).toContain('agentstate resume');
    expect(Object.keys(JSON.parse(read(dir, '.cursor/mcp.json')).mcpServers)).toEqual(['agentstate']);
    expect(json(cli(dir, ['setup', 'cursor', '--mcp', '--json'])).written).toEqual([]);

    writeFileSync(join(dir, '.cursor/rules/agentstate.mdc'), `${rule}\nAlso run the tests first.\n`);
    const again = cli(dir, ['setup', 'cursor']);
    expect(again.stdout).toContain('.cursor/rules/agentstate.mdc: edited by hand; left as it is');
    expect(read(dir, '.cursor/rules/agentstate.mdc')).toBe(`${rule}\nAlso run the tests first.\n`);
  });

  it('regenerates a missing AGENTS.md block (ours, so committed)', () => {
    const dir = stateRepo();
    writeFileSync(join(dir, 'AGENTS.md'), '# Agents\nOur own notes.\n');
    git(dir, 'commit', '-q', '-am', 'notes');
    const result = cli(dir, ['setup', 'cursor']);
    expect(result.stdout).toMatch(/\n {2}AGENTS.md: the agentstate block was missing; regenerated \(commit [0-9a-f]{7}\)\n/);
    expect(read(dir, 'AGENTS.md')).toMatch(/^# Agents\nOur own notes.\n\n<!-- agentstate:begin -->/);
    expect(filesOf(dir)).toEqual(['AGENTS.md']);
    expect(existsSync(join(dir, '.cursor/mcp.json'))).toBe(false);
  });

  it('an unknown agent is bad usage', () => {
    const result = cli(stateRepo(), ['setup', 'vim']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/claude, codex, gemini, cursor/);
  });
});
