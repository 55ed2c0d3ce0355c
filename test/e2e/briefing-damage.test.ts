import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, baseEnv, cli, read, stateRepo, tempDir } from '../helpers/cli.js';

/**
 * A briefing that never blocks a session: the SessionStart command (`agentstate resume --budget
 * 500`) returns on its own, within the time limit, exit 0, with useful text, whatever state the
 * repository is in. Each run here is given a generous outer limit; the assertions are that it
 * ended by itself with the briefing on stdout.
 */
const SESSION_START = ['resume', '--budget', '500'];
const OUTER_LIMIT_MS = 15_000;

function sessionStart(dir: string, extra: string[] = []) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [BIN, ...SESSION_START, ...extra], { cwd: dir, env: baseEnv(), encoding: 'utf8', timeout: OUTER_LIMIT_MS });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, signal: result.signal, ms: Date.now() - started };
}

/** A project with something in every file: a decision and its outcome, a task, an event, runtime state, a handoff. Made once, copied per test. */
let template: { dir: string; decision: string };
beforeAll(() => {
  const dir = stateRepo();
  const decision = cli(dir, ['decide', 'Rewrite the parser', '--why', 'the old one is slow', '-q']).stdout.trim();
  cli(dir, ['backlog', 'add', 'Port the tokenizer', '--priority', 'P1']);
  cli(dir, ['log', 'tokenizer half done']);
  cli(dir, ['catch', 'lint', 'unused import']);
  cli(dir, ['state', 'set', 'phase=parsing']);
  cli(dir, ['handoff', '--remaining', 'finish the tokenizer']);
  cli(dir, ['outcome', decision, 'done']);
  template = { dir, decision };
});

function livedInRepo(): { dir: string; decision: string } {
  const dir = join(tempDir(), 'project');
  cpSync(template.dir, dir, { recursive: true });
  return { dir, decision: template.decision };
}

const holders: ChildProcess[] = [];
afterEach(() => {
  for (const child of holders.splice(0)) {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
});

/** A real process holding the state lock with agentstate's lock code, then stopped (SIGSTOP). */
async function stalledLockHolder(dir: string): Promise<ChildProcess> {
  mkdirSync(join(dir, '.git/agentstate'), { recursive: true });
  const child = spawn(process.execPath, [resolve(import.meta.dirname, '../helpers/lock-holder.mjs'), join(dir, '.git/agentstate/state.lock')], { stdio: ['ignore', 'pipe', 'inherit'] });
  holders.push(child);
  await new Promise<void>((done) => child.stdout!.once('data', () => done()));
  child.kill('SIGSTOP');
  return child;
}

describe('a briefing that never blocks a session', () => {
  it('a stalled process holding the lock: resume and boot --check answer at once, boot says so and exits 0', async () => {
    const { dir, decision } = livedInRepo();
    await stalledLockHolder(dir);
    const resume = sessionStart(dir);
    expect(resume.code, resume.stderr).toBe(0);
    expect(resume.stdout).toContain(`${decision} [done] Rewrite the parser`);
    expect(resume.stdout).toContain('Port the tokenizer');
    expect(resume.ms).toBeLessThan(OUTER_LIMIT_MS);
    expect(cli(dir, ['boot', '--check']).code).toBe(0);
    const boot = cli(dir, ['boot']);
    expect(boot.code).toBe(0);
    expect(boot.stdout).toMatch(/AGENTS\.md block not regenerated \(it is up to date\)/);
    expect(boot.stderr).toMatch(/state is locked by pid \d+ .*agentstate log \(stalled\)/);
  });

  const damage: Array<[string, (dir: string) => void, RegExp]> = [
    ['events.yaml is garbage', (dir) => writeFileSync(join(dir, '.agentstate/events.yaml'), '\u0000\u0001 not yaml {{{\n'), /recent events not shown: \.agentstate\/events\.yaml:1: no `events:` list/],
    ['decisions.yaml does not parse', (dir) => writeFileSync(join(dir, '.agentstate/decisions.yaml'), 'schema: 1\ndecisions:\n- {"id": broken\n- {{{\n'), /decisions not shown: .*decisions/],
    ['decisions-index.yaml and decisions.yaml are missing', (dir) => ['decisions.yaml', 'decisions-index.yaml'].forEach((f) => rmSync(join(dir, '.agentstate', f))), /Port the tokenizer/],
    ['backlog.yaml does not parse', (dir) => writeFileSync(join(dir, '.agentstate/backlog.yaml'), 'items:\n  - [unclosed\n'), /tasks not shown: .*backlog\.yaml/],
    ['runtime.json does not parse', (dir) => writeFileSync(join(dir, '.agentstate/runtime.json'), '{"schema": 1, "version": '), /runtime state not shown: .*runtime\.json/],
    ['runtime.json is a directory', (dir) => (rmSync(join(dir, '.agentstate/runtime.json')), mkdirSync(join(dir, '.agentstate/runtime.json'))), /runtime\.json is not a regular file/],
    ['events.yaml is a FIFO (a read would block forever)', (dir) => (rmSync(join(dir, '.agentstate/events.yaml')), spawnSync('mkfifo', [join(dir, '.agentstate/events.yaml')])), /events\.yaml is not a regular file/],
    ['config.yaml does not parse', (dir) => writeFileSync(join(dir, '.agentstate/config.yaml'), 'lock: [1, 2\n  : :\n'), /config\.yaml.*default settings/],
    ['config.yaml is missing', (dir) => rmSync(join(dir, '.agentstate/config.yaml')), /config\.yaml is missing; using the default settings/],
    ['AGENTS.md is missing', (dir) => rmSync(join(dir, 'AGENTS.md')), /AGENTS\.md is missing/],
    ['.git/HEAD is garbage', (dir) => writeFileSync(join(dir, '.git/HEAD'), 'garbage\n'), /HEAD is neither a branch nor a commit id/],
  ];

  it.each(damage)('%s: resume --budget 500 prints what it can, says what is wrong, exits 0; --check exits 1', (_, harm, expected) => {
    const { dir } = livedInRepo();
    harm(dir);
    const run = sessionStart(dir);
    expect(run.signal, run.stderr).toBeNull();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^# Resume: /);
    expect(`${run.stdout}\n${run.stderr}`).toMatch(expected);
    // Useful text: the decision or the task survives any single damage but their own file's.
    expect(run.stdout).toMatch(/Rewrite the parser|Port the tokenizer/);
    expect(Buffer.byteLength(run.stdout)).toBeLessThanOrEqual(2000);
    // Nothing else gates here (the decision has its outcome): the damage alone fails the check.
    const check = cli(dir, ['resume', '--check']);
    expect(check.code, check.stderr).toBe(1);
    expect(check.stderr).not.toMatch(/open decision/);
    const boot = cli(dir, ['boot']);
    expect(boot.code, boot.stderr).toBe(0);
  });

  it('a state file missing from the work tree: the briefing starts with Incomplete briefing naming the part, not a quiet "none"', () => {
    const { dir } = livedInRepo();
    cli(dir, ['decide', 'Split the lexer', '--why', 'two grammars']);
    rmSync(join(dir, '.agentstate/decisions.yaml'));
    rmSync(join(dir, '.agentstate/backlog.yaml'));
    const run = sessionStart(dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\*\*Incomplete briefing\*\*: not shown: decisions \(decisions\.yaml is missing\), tasks \(backlog\.yaml is missing\)/);
    expect(run.stderr).toMatch(/the briefing is incomplete \(decisions \(decisions\.yaml is missing\), tasks/);
    expect(cli(dir, ['resume', '--check']).code).toBe(1);
  });

  it('a damaged file is never the reason AGENTS.md loses its block: boot leaves it and says why', () => {
    const { dir } = livedInRepo();
    const before = read(dir, 'AGENTS.md');
    writeFileSync(join(dir, '.agentstate/backlog.yaml'), 'items:\n  - [unclosed\n');
    const boot = cli(dir, ['boot']);
    expect(boot.code).toBe(0);
    expect(boot.stderr).toMatch(/AGENTS\.md block not regenerated: part of the state could not be read \(tasks not shown: .*backlog\.yaml/);
    expect(read(dir, 'AGENTS.md')).toBe(before);
    const check = cli(dir, ['boot', '--check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/cannot tell: tasks not shown/);
  });

  it('past the time limit it prints what it has, says so, and exits 0 (--check: 1)', () => {
    const { dir } = livedInRepo();
    const run = sessionStart(dir, ['--timeout', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^# Resume: /);
    expect(run.stdout).toMatch(/\*\*Incomplete briefing\*\*: stopped at the 1 ms time limit .*; not shown: recent events/);
    // What a session most needs is read whatever the clock says: decisions, tasks, handoff, runtime state.
    expect(run.stdout).toContain('Port the tokenizer');
    expect(run.stdout).toContain('finish the tokenizer');
    expect(run.stdout).not.toContain('tokenizer half done');
    expect(run.stderr).toMatch(/the briefing is incomplete/);
    const check = cli(dir, ['resume', '--check', '--timeout', '1']);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/the time limit ran out/);
    // The limit comes from config.yaml too.
    writeFileSync(join(dir, '.agentstate/config.yaml'), `${read(dir, '.agentstate/config.yaml').replace('timeout_ms: 2000', 'timeout_ms: 1')}`);
    expect(sessionStart(dir).stdout).toMatch(/stopped at the 1 ms time limit/);
  });
});
