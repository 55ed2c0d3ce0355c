import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, git, json, read, spawnCli, stateRepo, untilStopped } from '../helpers/cli.js';

const LOCK = '.git/agentstate/state.lock';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A repository whose lock turns stale after 300 ms and whose writers give up after 1.5 s. */
function quickLocks(): string {
  const dir = stateRepo();
  const config = read(dir, '.agentstate/config.yaml').replace('stale_ms: 30000', 'stale_ms: 300').replace('timeout_ms: 10000', 'timeout_ms: 1500');
  writeFileSync(join(dir, '.agentstate/config.yaml'), config);
  git(dir, 'commit', '-qam', 'quick locks');
  return dir;
}

/** A live process to name as a lock holder. */
function liveProcess() {
  const child = spawn('sleep', ['60']);
  return { pid: child.pid!, stop: () => child.kill('SIGKILL') };
}

function plantLock(dir: string, holder: Record<string, unknown>): void {
  writeFileSync(join(dir, LOCK), JSON.stringify({ nonce: 'planted', command: 'agentstate test', ...holder }));
}

describe('a live holder never loses the lock', () => {
  it('a holder stopped past stale_ms keeps it: others wait and exit 5 naming it, it finishes when resumed, no double claim', async () => {
    const dir = quickLocks();
    const task = cli(dir, ['backlog', 'add', 'the only task', '-q']).stdout.trim();
    const holder = spawnCli(dir, ['backlog', 'next', '--claim', '--agent', 'stalled', '--json'], { AGENTSTATE_STALL: 'before-write' });
    await untilStopped(holder.child.pid!);
    await sleep(600); // twice stale_ms
    const rival = cli(dir, ['backlog', 'next', '--claim', '--agent', 'rival', '--json']);
    expect(rival.code, rival.stderr).toBe(5);
    expect(rival.stderr).toContain(`pid ${holder.child.pid}`);
    expect(rival.stdout).toMatch(/"code": 5/);
    const writer = cli(dir, ['log', 'blocked meanwhile']);
    expect(writer.code).toBe(5);
    holder.child.kill('SIGCONT');
    const resumed = await holder.done;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(json<{ task: { id: string; owner: string; version: number } }>(resumed).task).toMatchObject({ id: task, owner: 'stalled', version: 2 });
    const after = cli(dir, ['backlog', 'show', task, '--json']);
    expect(json<{ task: { owner: string; version: number } }>(after).task).toMatchObject({ owner: 'stalled', version: 2 });
    expect(git(dir, 'log', '--format=%s').split('\n').filter((subject) => subject.startsWith('agentstate: backlog claim'))).toHaveLength(1);
    expect(cli(dir, ['check']).code).toBe(0);
  });

  it('two state set --expect-version 1: the stalled one wins when resumed, the other gets exit 5 then exit 4', async () => {
    const dir = quickLocks();
    expect(cli(dir, ['state', 'set', 'phase=start']).code).toBe(0);
    const first = spawnCli(dir, ['state', 'set', 'phase=first', '--expect-version', '1'], { AGENTSTATE_STALL: 'before-write' });
    await untilStopped(first.child.pid!);
    await sleep(600);
    expect(cli(dir, ['state', 'set', 'phase=second', '--expect-version', '1']).code).toBe(5);
    first.child.kill('SIGCONT');
    expect((await first.done).code).toBe(0);
    expect(cli(dir, ['state', 'set', 'phase=second', '--expect-version', '1']).code).toBe(4);
    expect(JSON.parse(read(dir, '.agentstate/runtime.json'))).toMatchObject({ version: 2, fields: { phase: 'first' } });
  });

  it('clock skew and pids: a live local holder is never broken, a future since never is, a dead or reused pid is at once', () => {
    const dir = quickLocks();
    const live = liveProcess();
    try {
      const hour = 3_600_000;
      const cases: Array<[string, Record<string, unknown>, number]> = [
        ['live local holder, since an hour ago', { pid: live.pid, host: hostname(), since: new Date(Date.now() - hour).toISOString() }, 5],
        ['live local holder, since an hour ahead', { pid: live.pid, host: hostname(), since: new Date(Date.now() + hour).toISOString() }, 5],
        ['another host, since an hour ahead', { pid: 1, host: 'elsewhere.example', since: new Date(Date.now() + hour).toISOString() }, 5],
        ['another host, since an hour ago', { pid: 1, host: 'elsewhere.example', since: new Date(Date.now() - hour).toISOString() }, 0],
        ['the pid now belongs to another process', { pid: live.pid, host: hostname(), since: new Date().toISOString(), start: '1' }, 0],
      ];
      for (const [name, holder, expected] of cases) {
        plantLock(dir, holder);
        const run = cli(dir, ['log', name]);
        expect(run.code, `${name}: ${run.stderr}`).toBe(expected);
        if (expected === 5) expect(run.stderr, name).toContain(`pid ${String(holder.pid)}`);
        rmSync(join(dir, LOCK), { force: true });
      }
    } finally {
      live.stop();
    }
  });
});

describe('fencing', () => {
  it('a writer whose lock was taken while it was stopped writes nothing and exits 5', async () => {
    const dir = quickLocks();
    const before = read(dir, '.agentstate/events.yaml');
    const stalled = spawnCli(dir, ['log', 'from the stalled writer'], { AGENTSTATE_STALL: 'before-write' });
    await untilStopped(stalled.child.pid!);
    rmSync(join(dir, LOCK)); // someone "fixes" the lock by hand
    const other = cli(dir, ['log', 'from the other writer', '-q']);
    expect(other.code, other.stderr).toBe(0);
    const afterOther = read(dir, '.agentstate/events.yaml');
    stalled.child.kill('SIGCONT');
    const resumed = await stalled.done;
    expect(resumed.code).toBe(5);
    expect(resumed.stderr).toMatch(/lost the state lock/);
    expect(read(dir, '.agentstate/events.yaml')).toBe(afterOther);
    expect(afterOther.startsWith(before)).toBe(true);
    expect(afterOther).toContain(other.stdout.trim());
    expect(afterOther).not.toContain('from the stalled writer');
    expect(cli(dir, ['check']).code).toBe(0);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('waiting for the lock says who holds it after about a second (not with --quiet or --json)', async () => {
    const dir = quickLocks();
    const live = liveProcess();
    try {
      plantLock(dir, { pid: live.pid, host: hostname(), since: new Date().toISOString() });
      const run = cli(dir, ['log', 'waits']);
      expect(run.code).toBe(5);
      expect(run.stderr).toMatch(new RegExp(`waiting for the state lock, held by pid ${live.pid} on .* \\(agentstate test\\)`));
      const quiet = cli(dir, ['log', 'waits', '--json']);
      expect(quiet.stderr).not.toMatch(/waiting for the state lock/);
    } finally {
      live.stop();
    }
  });
});

describe('waiting in turn', () => {
  it('writers waiting for the lock get it in the order they came, and leave no ticket behind', async () => {
    const dir = stateRepo();
    const holder = spawnCli(dir, ['log', 'holder'], { AGENTSTATE_STALL: 'before-write' });
    await untilStopped(holder.child.pid!);
    const queue = join(dir, `${LOCK}.queue`);
    const tickets = () => {
      try {
        return readdirSync(queue).length;
      } catch {
        return 0;
      }
    };
    const waiters = [];
    for (let i = 0; i < 5; i++) {
      waiters.push(spawnCli(dir, ['log', `waiter ${i}`]));
      for (let tries = 0; tickets() < i + 1 && tries < 400; tries++) await sleep(10); // it has joined the queue
    }
    expect(tickets()).toBe(5);
    holder.child.kill('SIGCONT');
    for (const waiter of [holder, ...waiters]) expect((await waiter.done).code).toBe(0);
    const summaries = read(dir, '.agentstate/events.yaml')
      .split('\n')
      .map((line) => /"summary":"(holder|waiter \d)"/.exec(line)?.[1])
      .filter(Boolean);
    expect(summaries).toEqual(['holder', 'waiter 0', 'waiter 1', 'waiter 2', 'waiter 3', 'waiter 4']);
    expect(tickets()).toBe(0);
  });
});

describe('left-behind git locks', () => {
  it('an orphaned index.lock: writers say so in one line and defer at once; doctor --repair removes it', () => {
    const dir = stateRepo();
    writeFileSync(join(dir, '.git/index.lock'), '');
    const minuteAgo = new Date(Date.now() - 60_000);
    utimesSync(join(dir, '.git/index.lock'), minuteAgo, minuteAgo); // left behind a while ago
    const log = cli(dir, ['log', 'while index.lock is there', '-q']);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stderr.match(/index\.lock/g)).toHaveLength(1);
    expect(log.stderr).toMatch(/doctor --repair/);
    const doctor = cli(dir, ['doctor']);
    expect(doctor.stdout).toMatch(/index\.lock/);
    const repair = cli(dir, ['doctor', '--repair']);
    expect(repair.code, repair.stderr).toBe(0);
    expect(repair.stdout).toMatch(/removed .*index\.lock/);
    expect(() => readFileSync(join(dir, '.git/index.lock'))).toThrow();
    expect(git(dir, 'show', 'HEAD:.agentstate/events.yaml')).toContain(log.stdout.trim());
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('an index.lock left by an agentstate process killed while holding it: the next writer removes it and commits at once', async () => {
    const dir = stateRepo();
    const { done } = spawnCli(dir, ['log', 'killed holding index.lock'], { AGENTSTATE_FAULT: 'before-update-ref' });
    expect((await done).signal).toBe('SIGKILL');
    expect(() => readFileSync(join(dir, '.git/index.lock'))).not.toThrow();
    const log = cli(dir, ['log', 'the next writer']);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stderr).not.toMatch(/index\.lock/);
    expect(() => readFileSync(join(dir, '.git/index.lock'))).toThrow();
    expect(git(dir, 'show', 'HEAD:.agentstate/events.yaml')).toContain(log.stdout.trim());
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('an index.lock some other program holds is never removed, even with a mark of ours naming a dead process', () => {
    const dir = stateRepo();
    cli(dir, ['log', 'leaves a mark']);
    writeFileSync(join(dir, '.git/index.lock'), 'theirs');
    const log = cli(dir, ['log', 'while their index.lock is there', '-q']);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stderr).toMatch(/index\.lock/);
    expect(read(dir, '.git/index.lock')).toBe('theirs');
  });
});
