import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { BIN, baseEnv, cli, commitCount, filesOf, git, json, read, stateRepo, tempDir } from '../helpers/cli.js';

type ToolAnswer = { content: Array<{ type: string; text: string }>; isError?: boolean; structuredContent?: { error?: { code: number } } };

/** The SDK's own client, over stdio, against the built CLI. */
async function connect(cwd: string, args: string[] = [], options: { roots?: string[]; env?: Record<string, string | undefined> } = {}) {
  const client = new Client({ name: 'agentstate-test', version: '1.0.0' }, options.roots ? { capabilities: { roots: {} } } : {});
  if (options.roots) client.setRequestHandler('roots/list', async () => ({ roots: options.roots!.map((dir) => ({ uri: pathToFileURL(dir).href })) }));
  const env = baseEnv({ AGENTSTATE_AGENT: 'mcp-agent', ...options.env }) as Record<string, string>;
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', ...args], cwd, env, stderr: 'pipe' }));
  const call = async (name: string, input: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: input })) as ToolAnswer;
  const data = async (name: string, input: Record<string, unknown> = {}) => {
    const answer = await call(name, input);
    if (answer.isError) throw new Error(answer.content[0]?.text);
    return JSON.parse(answer.content[0]!.text) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  return { client, call, data, close: () => client.close() };
}

/** The state directory, AGENTS.md and the commit count: all of what a write would change. */
function written(dir: string) {
  const state = Object.fromEntries(readdirSync(join(dir, '.agentstate')).filter((name) => name.includes('.')).map((name) => [name, read(dir, `.agentstate/${name}`)]));
  return { state, agents: read(dir, 'AGENTS.md'), commits: commitCount(dir) };
}

/** The tools/list answer exactly as it crosses the wire: one JSON-RPC line from a raw stdio exchange. */
function rawToolsList(cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'mcp'], { cwd, env: baseEnv() });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n').find((candidate) => candidate.startsWith('{') && candidate.includes('"id":2'));
      if (line) {
        child.stdin.end();
        resolve(line);
      }
    });
    child.on('error', reject);
    const send = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`);
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
  });
}

describe('agentstate mcp', () => {
  it('initializes and lists at most 10 tools, the whole answer under 2,000 tokens', async () => {
    const dir = stateRepo();
    const { client, close } = await connect(dir);
    try {
      expect(client.getServerVersion()?.name).toBe('agentstate');
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(['resume', 'decide', 'outcome', 'log', 'handoff', 'search', 'backlog_next', 'backlog_add', 'backlog_update', 'state']);
      for (const tool of tools) expect(tool.description!.length).toBeLessThanOrEqual(160);
    } finally {
      await close();
    }
    const line = await rawToolsList(dir);
    const bytes = Buffer.byteLength(line);
    expect(JSON.parse(line).result.tools).toHaveLength(10);
    expect(bytes).toBeLessThan(8000);
    expect(Math.ceil(bytes / 4)).toBeLessThan(2000);
    // The README prints this figure (the MCP section and the Performance table): it must be today's.
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const figures = readme.split('\n').filter((text) => text.includes('tools/list')).flatMap((text) => [...text.matchAll(/([\d,]+) bytes/g)].map((match) => match[1]));
    expect(figures.length).toBeGreaterThanOrEqual(2);
    for (const figure of figures) expect(figure).toBe(bytes.toLocaleString('en-US'));
  });

  it('every tool runs the CLI’s own code: the files, one commit per write, the agent from the server', async () => {
    const dir = stateRepo();
    const { call, data, close } = await connect(dir, ['--agent', 'claude']);
    try {
      let commits = commitCount(dir);
      // The files the commit holds (AGENTS.md when the change shows in its block, as from the CLI).
      const wrote = (files: string[], subject: RegExp) => {
        expect(commitCount(dir)).toBe(++commits);
        expect(filesOf(dir).filter((file) => file !== 'AGENTS.md')).toEqual(files.filter((file) => file !== 'AGENTS.md'));
        expect(git(dir, 'log', '-1', '--format=%s').trim()).toMatch(subject);
      };

      const decision = await data('decide', { title: 'Move the cache to Redis', why: 'p99 is 800 ms', tags: ['perf'], expect: ['file:bench/cache.md'] });
      expect(decision.decision).toMatchObject({ title: 'Move the cache to Redis', why: 'p99 is 800 ms', tags: ['perf'], agent: 'claude', expect: [{ kind: 'file', value: 'bench/cache.md' }] });
      expect(read(dir, '.agentstate/decisions.yaml')).toContain(decision.id);
      wrote(['.agentstate/decisions-index.yaml', '.agentstate/decisions.yaml', 'AGENTS.md'], /^agentstate: decide Move the cache to Redis$/);

      const event = await data('log', { summary: 'Benchmarked Redis', type: 'bench', ref: 'bench/cache.md', data: { p99_ms: 120, region: 'eu' } });
      expect(event.event).toMatchObject({ type: 'bench', ref: 'bench/cache.md', data: { p99_ms: 120, region: 'eu' } });
      wrote(['.agentstate/events.yaml'], /^agentstate: log Benchmarked Redis$/);

      await data('outcome', { id: decision.id.slice(0, 6), status: 'done', note: 'shipped' });
      wrote(['.agentstate/decisions-index.yaml', '.agentstate/decisions.yaml', 'AGENTS.md'], /^agentstate: outcome/);

      const first = await data('backlog_add', { title: 'Migrate sessions table', priority: 'P1', tags: ['db'] });
      wrote(['.agentstate/backlog.yaml', 'AGENTS.md'], /^agentstate: backlog add/);
      const second = await data('backlog_add', { title: 'Drop the old column', depends: [first.task.id] });
      wrote(['.agentstate/backlog.yaml', 'AGENTS.md'], /^agentstate: backlog add/);
      const next = await data('backlog_next', { claim: true });
      expect(next.task).toMatchObject({ id: first.task.id, status: 'active', owner: 'claude' });
      wrote(['.agentstate/backlog.yaml', 'AGENTS.md'], /^agentstate: backlog claim/);
      const done = await data('backlog_update', { id: first.task.id, status: 'done', expect_version: next.task.version });
      expect(done.task).toMatchObject({ status: 'done', version: next.task.version + 1 });
      wrote(['.agentstate/backlog.yaml', 'AGENTS.md'], /^agentstate: backlog update/);
      expect((await data('backlog_next')).task.id).toBe(second.task.id);

      expect((await data('state', { set: { phase: 'build', deploy: { region: 'eu' } } })).version).toBe(1);
      wrote(['.agentstate/runtime.json'], /^agentstate: state set/);
      expect(await data('state', { key: 'deploy.region' })).toEqual({ key: 'deploy.region', value: 'eu', version: 1 });
      await data('state', { unset: ['deploy.region'], expect_version: 1 });
      wrote(['.agentstate/runtime.json'], /^agentstate: state unset/);
      expect((await data('state')).fields).toEqual({ phase: 'build' });

      await data('handoff', { done: ['cache on Redis'], remaining: ['drop the old column'], note: 'see bench/cache.md' });
      wrote(['.agentstate/events.yaml', 'AGENTS.md'], /^agentstate: handoff/);

      const found = await call('search', { query: 'redis', kinds: ['decision', 'event'], limit: 5 });
      expect(found.content[0]!.text.split('\n').map((line) => line.split(/\s+/)[1])).toEqual(
        expect.arrayContaining([decision.id, event.id]),
      );
      expect(found.content[0]!.text).toBe(cli(dir, ['search', 'redis', '--kind', 'decision,event', '--limit', '5']).stdout.trimEnd());

      const briefing = await call('resume', { budget: 400, focus: 'column' });
      expect(briefing.isError).toBeUndefined();
      expect(briefing.content[0]!.text).toMatch(/^# Resume: /);
      expect(briefing.content[0]!.text).toContain('drop the old column');
      expect(Buffer.byteLength(briefing.content[0]!.text)).toBeLessThanOrEqual(400 * 4);
      expect(commitCount(dir)).toBe(commits);
      expect(git(dir, 'status', '--porcelain')).toBe('');
    } finally {
      await close();
    }
  });

  it('bad input: an MCP error with the message the CLI prints, and nothing written', async () => {
    const dir = stateRepo();
    const task = JSON.parse(cli(dir, ['backlog', 'add', 'Ship it', '--json']).stdout).task;
    const secret = `token ghp_${'a1B2c3D4e5'.repeat(4)}`;
    const { call, close } = await connect(dir);
    try {
      const cases: Array<[string, Record<string, unknown>, string[], number]> = [
        ['outcome', { id: 'd-zzzz', status: 'done' }, ['outcome', 'd-zzzz', 'done'], 3],
        // A key pasted where an id was expected is not printed back (the CLI redacts it too).
        ['outcome', { id: secret.slice(6), status: 'done' }, ['outcome', secret.slice(6), 'done'], 2],
        ['decide', { title: 'Rotate keys', why: secret }, ['decide', 'Rotate keys', '--why', secret], 2],
        ['decide', { title: 'Escape', why: 'w', expect: ['file:../outside'] }, ['decide', 'Escape', '--why', 'w', '--expect', 'file:../outside'], 2],
        ['backlog_update', { id: task.id, status: 'done', expect_version: 7 }, ['backlog', 'update', task.id, '--status', 'done', '--expect-version', '7'], 4],
        ['backlog_add', { title: 'x', priority: 'P9' }, ['backlog', 'add', 'x', '--priority', 'P9'], 2],
        ['state', { set: { 'a..b': 1 } }, ['state', 'set', 'a..b=1'], 2],
      ];
      for (const [tool, input, argv, code] of cases) {
        const before = written(dir);
        const answer = await call(tool, input);
        const expected = cli(dir, argv);
        expect(expected.code).toBe(code);
        expect(answer.isError).toBe(true);
        expect(answer.content[0]!.text).toBe(expected.stderr.trimEnd());
        expect(answer.content[0]!.text).not.toContain('ghp_');
        expect(JSON.stringify(answer.structuredContent)).not.toContain('ghp_');
        expect(answer.structuredContent?.error?.code).toBe(code);
        expect(written(dir)).toEqual(before);
      }
      // What the schema refuses never reaches the command.
      const before = written(dir);
      for (const [tool, input] of [
        ['decide', { title: 'No rationale' }],
        ['log', { summary: 'x', colour: 'red' }],
        ['state', { set: { a: 1 }, unset: ['b'] }],
      ] as const) {
        const answer = await call(tool, input);
        expect(answer.isError).toBe(true);
        expect(answer.content[0]!.text.split('\n')).toHaveLength(tool === 'state' ? 2 : 1);
      }
      expect(written(dir)).toEqual(before);
    } finally {
      await close();
    }
  });

  it('a failure of the file system is not a bug: the same one line and hint as the CLI, exit code 1', async () => {
    const dir = stateRepo();
    const { call, close } = await connect(dir);
    try {
      // The clone's local folder is a file: creating the lock fails with EEXIST.
      rmSync(join(dir, '.git/agentstate'), { recursive: true, force: true });
      writeFileSync(join(dir, '.git/agentstate'), 'not a folder\n');
      const answer = await call('log', { summary: 'on a broken clone' });
      const expected = cli(dir, ['log', 'on a broken clone']);
      expect(expected.code).toBe(1);
      expect(expected.stderr).toMatch(/^agentstate: mkdir \.git\/agentstate: something else is already at that path \(EEXIST\)/);
      expect(answer.isError).toBe(true);
      expect(answer.content[0]!.text).toBe(expected.stderr.trimEnd());
      expect(answer.structuredContent?.error?.code).toBe(1);
    } finally {
      await close();
    }
  });

  it('serves the briefing and the state files as read-only resources', async () => {
    const dir = stateRepo();
    cli(dir, ['backlog', 'add', 'Write the docs']);
    const { client, close } = await connect(dir);
    try {
      const { resources } = await client.listResources();
      expect(resources.map((resource) => resource.uri)).toEqual([
        'agentstate://resume',
        ...['config.yaml', 'events.yaml', 'decisions.yaml', 'decisions-index.yaml', 'backlog.yaml', 'runtime.json', 'catch-log.tsv', 'learnings.yaml'].map((file) => `agentstate://state/${file}`),
      ]);
      const briefing = await client.readResource({ uri: 'agentstate://resume' });
      expect(briefing.contents[0]).toMatchObject({ mimeType: 'text/markdown' });
      expect((briefing.contents[0] as { text: string }).text).toContain('Write the docs');
      const backlog = await client.readResource({ uri: 'agentstate://state/backlog.yaml' });
      expect((backlog.contents[0] as { text: string }).text).toBe(read(dir, '.agentstate/backlog.yaml'));
    } finally {
      await close();
    }
  });

  it('a decision with expectations is checked in the resume tool, and the lessons reach the client', async () => {
    const dir = stateRepo();
    cli(dir, ['learn', 'Backfill hot tables in batches of 10k rows', '--kind', 'convention', '--tag', 'db']);
    const lesson = json<{ learnings: Array<{ id: string }> }>(cli(dir, ['learnings', '--json'])).learnings[0]!.id;
    const { client, data, call, close } = await connect(dir);
    try {
      const decision = await data('decide', { title: 'Add migration 0042', why: 'sessions need a TTL', expect: ['file:db/0042.sql', 'commit:migration 0042'] });
      const briefing = async () => (await call('resume', { focus: 'db' })).content[0]!.text;
      expect(await briefing()).toContain(`- ${decision.id} **Add migration 0042**`);
      expect(await briefing()).toContain('  - check: not started\n    - not met: file db/0042.sql — db/0042.sql does not exist');
      mkdirSync(join(dir, 'db'));
      writeFileSync(join(dir, 'db/0042.sql'), 'ALTER TABLE sessions ADD COLUMN ttl integer;\n');
      git(dir, 'add', 'db/0042.sql');
      git(dir, 'commit', '-qm', 'migration 0042: ttl column');
      const sha = git(dir, 'rev-parse', '--short=7', 'HEAD').trim();
      const after = await briefing();
      expect(after).toContain('  - check: looks done — verify and record the outcome');
      expect(after).toMatch(new RegExp(`met: commit "migration 0042" — ${sha} \\d{4}-\\d\\d-\\d\\dT\\S+ "migration 0042: ttl column"`));
      expect(after).toContain(`- ${lesson} convention: Backfill hot tables in batches of 10k rows [db]`);
      const log = await client.readResource({ uri: 'agentstate://state/learnings.yaml' });
      expect((log.contents[0] as { text: string }).text).toBe(read(dir, '.agentstate/learnings.yaml'));
      expect((log.contents[0] as { text: string }).text).toContain(lesson);
      expect(json<{ decisions: Array<{ id: string }> }>(cli(dir, ['decisions', '--open', '--json'])).decisions.map((view) => view.id)).toEqual([decision.id]);
    } finally {
      await close();
    }
  });

  it('acts on the client’s MCP root, not the server’s working directory; --dir wins over roots', async () => {
    const project = stateRepo();
    const other = stateRepo();
    const elsewhere = tempDir();
    const viaRoots = await connect(elsewhere, [], { roots: [tempDir(), project] });
    try {
      await viaRoots.data('log', { summary: 'from the root' });
    } finally {
      await viaRoots.close();
    }
    expect(read(project, '.agentstate/events.yaml')).toContain('from the root');

    const viaDir = await connect(elsewhere, ['--dir', other], { roots: [project] });
    try {
      await viaDir.data('log', { summary: 'from --dir' });
    } finally {
      await viaDir.close();
    }
    expect(read(other, '.agentstate/events.yaml')).toContain('from --dir');
    expect(read(project, '.agentstate/events.yaml')).not.toContain('from --dir');

    const sub = join(project, 'src', 'deep');
    mkdirSync(sub, { recursive: true });
    const viaCwd = await connect(sub);
    try {
      await viaCwd.data('log', { summary: 'from a subdirectory' });
    } finally {
      await viaCwd.close();
    }
    expect(readFileSync(join(project, '.agentstate/events.yaml'), 'utf8')).toContain('from a subdirectory');
  });

  it('calls that arrive together all land, one commit each', async () => {
    const dir = stateRepo();
    const commits = commitCount(dir);
    const { data, close } = await connect(dir);
    try {
      const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => data('log', { summary: `parallel ${i}` }).then((answer) => answer.id as string)));
      const events = read(dir, '.agentstate/events.yaml');
      for (const id of ids) expect(events.split(id)).toHaveLength(2);
    } finally {
      await close();
    }
    expect(commitCount(dir)).toBe(commits + 6);
  });
});
