import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliAsync, git, gitRepo, json, read, stateRepo } from '../helpers/cli.js';

describe('runtime state', () => {
  it('set, get, unset with dotted keys and JSON values; version +1 per write', () => {
    const dir = stateRepo();
    expect(cli(dir, ['state', 'set', 'phase=build', 'attempts=3', 'deploy.region=eu', 'flags=["a","b"]']).code).toBe(0);
    const state = json<{ version: number; fields: Record<string, unknown> }>(cli(dir, ['state', 'get', '--json']));
    expect(state.version).toBe(1);
    expect(state.fields).toEqual({ phase: 'build', attempts: 3, deploy: { region: 'eu' }, flags: ['a', 'b'] });
    expect(cli(dir, ['state', 'get', 'deploy.region']).stdout.trim()).toBe('eu');
    expect(cli(dir, ['state', 'unset', 'deploy.region']).code).toBe(0);
    expect(cli(dir, ['state', 'get', 'deploy.region']).code).toBe(3);
    expect(json<{ version: number }>(cli(dir, ['state', 'get', '--json'])).version).toBe(2);
    expect(cli(dir, ['state', 'set', '__proto__.x=1']).code).toBe(2);
  });

  it('a stale --expect-version exits 4 and writes nothing', () => {
    const dir = stateRepo();
    cli(dir, ['state', 'set', 'a=1']);
    const before = read(dir, '.agentstate/runtime.json');
    expect(cli(dir, ['state', 'set', 'a=2', '--expect-version', '0']).code).toBe(4);
    expect(read(dir, '.agentstate/runtime.json')).toBe(before);
    expect(cli(dir, ['state', 'set', 'a=2', '--expect-version', '1']).code).toBe(0);
  });

  it('8 processes setting different keys at once lose none', async () => {
    const dir = stateRepo();
    const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => cliAsync(dir, ['state', 'set', `key${i}=${i}`])));
    expect(runs.map((run) => run.code)).toEqual(Array(8).fill(0));
    const state = json<{ version: number; fields: Record<string, number> }>(cli(dir, ['state', 'get', '--json']));
    expect(state.version).toBe(8);
    expect(Object.keys(state.fields).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `key${i}`).sort());
  });

  it('field types declared in config are enforced', () => {
    const dir = stateRepo();
    writeFileSync(join(dir, '.agentstate/config.yaml'), read(dir, '.agentstate/config.yaml').replace('types: {}', 'types: {attempts: integer, phase: string}'));
    expect(cli(dir, ['state', 'set', 'attempts=three']).code).toBe(2);
    expect(cli(dir, ['state', 'set', 'attempts=3', 'phase=build']).code).toBe(0);
  });
});

describe('resume', () => {
  /** 40 events and 15 tasks written straight into the files (faster than 55 commands), then committed. */
  function busyRepo(): { dir: string; open: string } {
    const dir = stateRepo();
    const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
    const events = Array.from({ length: 40 }, (_, i) => `- ${JSON.stringify({ id: `ev-e${String(i).padStart(9, '0')}`, at: at(i), type: 'note', agent: 'seed', summary: `event number ${i}` })}\n`);
    appendFileSync(join(dir, '.agentstate/events.yaml'), events.join(''));
    const tasks = Array.from({ length: 15 }, (_, i) =>
      `- ${JSON.stringify({ id: `t-t${String(i).padStart(9, '0')}`, title: `task number ${i}`, status: 'open', priority: `P${i % 4}`, version: 1, created: at(i), updated: at(i) })}\n`,
    );
    appendFileSync(join(dir, '.agentstate/backlog.yaml'), tasks.join(''));
    git(dir, 'commit', '-qam', 'seed state');
    const open = cli(dir, ['decide', 'Rewrite the parser', '--why', 'the old one is slow']).stdout.trim();
    cli(dir, ['state', 'set', 'phase=parsing', 'attempt=2']);
    return { dir, open };
  }

  it('shows the open decision, tasks, latest events and runtime state; --format json has the same content', () => {
    const { dir, open } = busyRepo();
    const text = cli(dir, ['resume']).stdout;
    expect(text).toContain(open);
    expect(text).toContain('task number 0');
    expect(text).toContain('event number 39');
    expect(text).not.toContain('event number 20');
    expect(text).toContain('phase: "parsing"');
    const data = json<{ openDecisions: Array<{ id: string }>; nextTasks: unknown[]; recentEvents: Array<{ summary: string }>; runtime: { fields: Record<string, unknown> } }>(
      cli(dir, ['resume', '--format', 'json']),
    );
    expect(data.openDecisions.map((d) => d.id)).toEqual([open]);
    expect(data.nextTasks.length).toBeGreaterThan(0);
    expect(data.recentEvents.at(-1)?.summary).toBe('event number 39');
    expect(data.runtime.fields).toEqual({ phase: 'parsing', attempt: 2 });
  });

  it('--budget 200 prints at most 800 bytes, keeps the open decision and says what was cut', () => {
    const { dir, open } = busyRepo();
    const run = cli(dir, ['resume', '--budget', '200']);
    expect(run.code).toBe(0);
    expect(Buffer.byteLength(run.stdout)).toBeLessThanOrEqual(800);
    expect(run.stdout).toContain(open);
    expect(run.stdout).toContain('agentstate resume --full');
    for (const budget of ['1', '20', '50', '120']) {
      const tiny = cli(dir, ['resume', '--budget', budget]);
      expect(Buffer.byteLength(tiny.stdout), budget).toBeLessThanOrEqual(Number(budget) * 4);
    }
  });

  it('--focus keeps matching items and always the open decisions', () => {
    const { dir, open } = busyRepo();
    const text = cli(dir, ['resume', '--focus', 'number 7']).stdout;
    expect(text).toContain('task number 7');
    expect(text).not.toContain('task number 1 ');
    expect(text).toContain(open);
  });

  it('--check exits 1 with an open decision and 0 once it has an outcome', () => {
    const dir = stateRepo();
    const id = cli(dir, ['decide', 'gate me', '--why', 'w']).stdout.trim();
    const gated = cli(dir, ['resume', '--check']);
    expect(gated.code).toBe(1);
    expect(gated.stderr).toMatch(/1 open decision/);
    cli(dir, ['outcome', id, 'done']);
    const clear = cli(dir, ['resume', '--check']);
    expect(clear.code, clear.stderr).toBe(0);
  });

  it('--check exits 1 on a stale lock, and names it', () => {
    const dir = stateRepo();
    const stale = { pid: process.pid, host: 'elsewhere.example', since: '2020-01-01T00:00:00.000Z', nonce: 'old' };
    writeFileSync(join(dir, '.git/agentstate/state.lock'), JSON.stringify(stale));
    const run = cli(dir, ['resume', '--check']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/stale lock \.git\/agentstate\/state\.lock \(pid \d+ on elsewhere\.example/);
  });

  it('warns about a missing referenced path and an old heartbeat', () => {
    const dir = stateRepo();
    cli(dir, ['log', 'edited it', '--ref', 'src/gone.ts']);
    cli(dir, ['state', 'set', 'report_path=out/report.md', 'base_branch=no-such-branch', 'last_commit=0123456789abcdef0123']);
    const runtime = JSON.parse(read(dir, '.agentstate/runtime.json'));
    runtime.heartbeat_at = new Date(Date.now() - 5 * 3600e3).toISOString();
    writeFileSync(join(dir, '.agentstate/runtime.json'), JSON.stringify(runtime, null, 2) + '\n');
    const data = json<{ warnings: string[] }>(cli(dir, ['resume', '--format', 'json']));
    expect(data.warnings.join('\n')).toMatch(/ref names src\/gone\.ts, which does not exist/);
    expect(data.warnings.join('\n')).toMatch(/report_path names out\/report\.md/);
    expect(data.warnings.join('\n')).toMatch(/heartbeat is 300 minutes old/);
    expect(data.warnings.join('\n')).toMatch(/branch no-such-branch/);
    expect(data.warnings.join('\n')).toMatch(/commit 0123456789abcdef0123/);
    expect(cli(dir, ['resume', '--check']).code).toBe(1);
  });
});

describe('the AGENTS.md block', () => {
  it('keeps every byte of the user text through init, commands and boot; unchanged when nothing it shows changed', () => {
    const dir = gitRepo();
    const head = '# Our agents\n\nRead `README.md` first.\n\n';
    const tail = '\n## After the block\nmore of *our* text\n';
    writeFileSync(join(dir, 'AGENTS.md'), `${head}<!-- agentstate:begin -->\nold\n<!-- agentstate:end -->${tail}`);
    cli(dir, ['init']);
    cli(dir, ['decide', 'Keep bytes', '--why', 'users']);
    cli(dir, ['backlog', 'add', 'a task']);
    const before = read(dir, 'AGENTS.md');
    cli(dir, ['log', 'not in the block']);
    cli(dir, ['state', 'set', 'x=1']);
    expect(read(dir, 'AGENTS.md')).toBe(before);
    cli(dir, ['boot']);
    const after = read(dir, 'AGENTS.md');
    expect(after.startsWith(head)).toBe(true);
    expect(after.endsWith(tail)).toBe(true);
    expect(after).toContain('Keep bytes');
  });

  it('a block edited by hand makes boot --check exit 1; boot fixes it', () => {
    const dir = stateRepo();
    expect(cli(dir, ['boot', '--check']).code).toBe(0);
    writeFileSync(join(dir, 'AGENTS.md'), read(dir, 'AGENTS.md').replace('### Open decisions', '### Open decisions\n- d-fake edited by hand'));
    const check = cli(dir, ['boot', '--check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/edited by hand/);
    expect(cli(dir, ['boot']).code).toBe(0);
    expect(cli(dir, ['boot', '--check']).code).toBe(0);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('fits the configured budget', () => {
    const dir = stateRepo();
    const decisions = Array.from({ length: 30 }, (_, i) =>
      `- ${JSON.stringify({ id: `d-d${String(i).padStart(9, '0')}`, at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), kind: 'decision', title: `open decision ${i} with a fairly long title to fill the block`, why: 'x'.repeat(100), standing: false, agent: 'seed' })}\n`,
    );
    appendFileSync(join(dir, '.agentstate/decisions.yaml'), decisions.join(''));
    expect(cli(dir, ['boot']).code).toBe(0);
    const block = read(dir, 'AGENTS.md');
    expect(Buffer.byteLength(block)).toBeLessThanOrEqual(1500 * 4 + 200);
    expect(block).toMatch(/more not shown \(budget\)/);
  });
});
