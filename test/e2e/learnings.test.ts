import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, commitCount, filesOf, git, json, readYaml, read, stateRepo, tempDir } from '../helpers/cli.js';

const LOG = '.agentstate/learnings.yaml';
type Learning = { id: string; text: string; category: string; tags: string[]; confirmations: number; status: string };
const learnings = (dir: string, ...flags: string[]) => json<{ learnings: Learning[] }>(cli(dir, ['learnings', '--json', ...flags])).learnings;
const ok = (dir: string, ...args: string[]) => {
  const run = cli(dir, args);
  expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
  return run.stdout.trim();
};
const block = (dir: string) => read(dir, 'AGENTS.md').split('<!-- agentstate:begin -->')[1]!.split('<!-- agentstate:end -->')[0]!;

describe('learn and learnings', () => {
  it('records, filters, confirms and retires lessons; a retired one is never shown again', () => {
    const dir = stateRepo();
    const db = ok(dir, 'learn', 'Run migrations with --lock-timeout 5s: the sessions table is hot', '--kind', 'convention', '--tag', 'db', '--ref', 'db/migrations/');
    expect(db).toMatch(/^l-[0-9a-z]{10}$/);
    expect(filesOf(dir)).toEqual(['.agentstate/learnings.yaml', 'AGENTS.md']);
    expect(git(dir, 'log', '-1', '--format=%B')).toContain(`Agentstate-Id: ${db}`);
    const flaky = ok(dir, 'learn', 'The auth suite is flaky under load: rerun once before digging', '--kind', 'failure', '--tag', 'auth');
    ok(dir, 'learn', 'Prefer small commits', '--once', 'style-1');
    expect(ok(dir, 'learn', 'Prefer small commits', '--once', 'style-1')).toMatch(/^l-/);
    expect(learnings(dir)).toHaveLength(3);

    expect(learnings(dir, '--tag', 'db').map((l) => l.id)).toEqual([db]);
    expect(learnings(dir, '--kind', 'failure').map((l) => l.id)).toEqual([flaky]);
    expect(learnings(dir, '--grep', 'SESSIONS').map((l) => l.id)).toEqual([db]);

    expect(ok(dir, 'learn', '--confirm', db.slice(2, 8), '--note', 'held in 0043')).toContain('confirmed (1×)');
    ok(dir, 'learn', '--confirm', db);
    expect(learnings(dir)[0]).toMatchObject({ id: db, confirmations: 2 });

    expect(ok(dir, 'learn', '--retire', flaky, '--why', 'fixed by the retry budget')).toContain('retired');
    expect(learnings(dir).map((l) => l.id)).not.toContain(flaky);
    expect(learnings(dir, '--all').find((l) => l.id === flaky)?.status).toBe('retired');
    for (const view of [cli(dir, ['resume']).stdout, cli(dir, ['resume', '--focus', 'auth']).stdout, cli(dir, ['resume', '--format', 'json']).stdout, read(dir, 'AGENTS.md')]) {
      expect(view).toContain(db);
      expect(view).not.toContain(flaky);
    }
    expect(cli(dir, ['learn', '--confirm', flaky]).code).toBe(2);
    expect(cli(dir, ['learn', '--retire', flaky, '--why', 'again']).code).toBe(2);
    const check = cli(dir, ['check']);
    expect(check.code, check.stdout).toBe(0);
    const chain = readYaml(join(dir, LOG)) as { schema: number; learnings: Array<{ kind: string }> };
    expect(chain.schema).toBe(1);
    expect(chain.learnings.map((record) => record.kind)).toEqual(['learning', 'learning', 'learning', 'confirm', 'confirm', 'retire']);
  });

  it('bad input exits 2 and writes nothing: secrets, oversized text, unknown kind, missing why, unknown id', () => {
    const dir = stateRepo();
    const id = ok(dir, 'learn', 'A lesson');
    const before = read(dir, LOG);
    const commits = commitCount(dir);
    const cases: Array<[string[], number, RegExp]> = [
      [['learn', `The deploy key is ghp_${'a1B2c3D4e5'.repeat(4).slice(0, 36)}`], 2, /text looks like a secret \(github-pat\)/],
      [['learn', 'x'.repeat(5000)], 2, /text is 5000 bytes.*\n.*hint: .*--ref PATH/], // learn takes no --attach: the hint names what it does take
      [['learn', '--retire', id, '--why', 'y'.repeat(5000)], 2, /why is 5000 bytes.*\n.*hint: (?!.*--attach)/],
      [['learn', 'A lesson', '--kind', 'gossip'], 2, /--kind: "gossip"/],
      [['learnings', '--kind', 'gossip'], 2, /--kind: "gossip" is not one of convention, pattern, failure, tip/],
      [['learn', 'A lesson', '--tag', 'two words'], 2, /tags\.0/],
      [['learn', '--retire', id], 2, /--retire needs --why/],
      [['learn', '--confirm', id, '--tag', 'x'], 2, /do not go with/],
      [['learn'], 2, /exactly one/],
      [['learn', 'both', '--confirm', id], 2, /exactly one/],
      [['learn', '--confirm', 'l-zzzzzz'], 3, /no learning with id/],
      [['learn', '--confirm', '../../etc'], 2, /not a learning id/],
    ];
    for (const [args, code, message] of cases) {
      const run = cli(dir, args);
      expect(run.code, args.join(' ')).toBe(code);
      expect(run.stderr).toMatch(message);
    }
    const asJson = cli(dir, ['learn', '--confirm', 'l-zzzzzz', '--json']);
    expect(json<{ error: { code: number } }>(asJson).error.code).toBe(3);
    expect(read(dir, LOG)).toBe(before);
    expect(commitCount(dir)).toBe(commits);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('a state directory made before learnings existed gets the file on the first learn, and check passes', () => {
    const dir = stateRepo();
    git(dir, 'rm', '-q', LOG);
    git(dir, 'commit', '-qm', 'a state directory of version 0.1');
    expect(learnings(dir)).toEqual([]);
    expect(cli(dir, ['check']).code).toBe(0);
    ok(dir, 'learn', 'First lesson');
    expect(read(dir, LOG)).toMatch(/^# agentstate learnings: append-only.*\nschema: 1\nlearnings:\n- \{"id":"l-/);
    expect(cli(dir, ['check']).code).toBe(0);
  });

  it('a commit that removes a lesson from learnings.yaml is flagged by check (append-only through history)', () => {
    const dir = stateRepo();
    const kept = ok(dir, 'learn', 'Kept lesson');
    const removed = ok(dir, 'learn', 'Lesson someone deletes by hand');
    expect(cli(dir, ['check']).code).toBe(0);
    writeFileSync(join(dir, LOG), read(dir, LOG).split('\n').filter((line) => !line.includes(removed)).join('\n'));
    git(dir, 'commit', '-qam', 'tidy the lessons');
    const check = cli(dir, ['check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(new RegExp(`learnings\\.yaml.*${removed}`));
    expect(check.stdout).not.toContain(kept);
  });

  it('learnings.yaml is sealed like the other logs and a torn tail is repaired; no lesson is lost', () => {
    const dir = stateRepo();
    writeFileSync(join(dir, '.agentstate/config.yaml'), read(dir, '.agentstate/config.yaml').replace('seal_bytes: 262144', 'seal_bytes: 600'));
    git(dir, 'commit', '-qam', 'small seals');
    const ids = [1, 2, 3, 4, 5, 6].map((n) => ok(dir, 'learn', `Lesson ${n}: ${'words '.repeat(12)}`));
    ok(dir, 'learn', '--confirm', ids[0]!);
    const segments = git(dir, 'ls-files', '.agentstate/archive').trim().split('\n').filter((path) => path.includes('/learnings.'));
    expect(segments.length).toBeGreaterThan(0);
    expect(learnings(dir).map((l) => l.id).sort()).toEqual([...ids].sort());
    expect(learnings(dir).find((l) => l.id === ids[0])?.confirmations).toBe(1);
    appendFileSync(join(dir, LOG), '- {"id":"l-torn","at":"2026');
    expect(cli(dir, ['check']).code).toBe(1);
    ok(dir, 'doctor', '--repair');
    const check = cli(dir, ['check']);
    expect(check.code, check.stdout).toBe(0);
    expect(learnings(dir)).toHaveLength(6);
  });
});

/** A bare origin and two clones with the merge drivers registered, as in merge.test.ts. */
function twoClones(): { alice: string; bob: string } {
  const origin = tempDir('origin-');
  git(origin, 'init', '-q', '--bare', '-b', 'main');
  const [alice, bob] = ['alice', 'bob'].map((name) => {
    const dir = tempDir(`${name}-`);
    git(dir, 'clone', '-q', origin, '.');
    git(dir, 'config', 'user.name', name);
    git(dir, 'config', 'user.email', `${name}@example.com`);
    git(dir, 'config', 'pull.rebase', 'false');
    return dir;
  }) as [string, string];
  git(alice, 'checkout', '-q', '-b', 'main');
  ok(alice, 'init');
  git(alice, 'push', '-q', '-u', 'origin', 'main');
  git(bob, 'pull', '-q', 'origin', 'main');
  ok(bob, 'hooks', 'install');
  return { alice, bob };
}

describe('learnings across clones', () => {
  it('two clones that learn, confirm and retire merge without a conflict and without losing a record', () => {
    const { alice, bob } = twoClones();
    const shared = ok(alice, 'learn', 'Shared lesson', '--tag', 'db');
    git(alice, 'push', '-q', 'origin', 'main');
    git(bob, 'pull', '-q', 'origin', 'main');

    const aliceOwn = ok(alice, 'learn', 'Alice learned this', '--kind', 'pattern');
    ok(alice, 'learn', '--confirm', shared);
    git(alice, 'push', '-q', 'origin', 'main');
    const bobOwn = ok(bob, 'learn', 'Bob learned this', '--kind', 'failure');
    const bobGone = ok(bob, 'learn', 'Bob was wrong about this');
    ok(bob, 'learn', '--confirm', shared);
    ok(bob, 'learn', '--retire', bobGone, '--why', 'disproved');

    const pull = spawnSync('git', ['pull', '-q', '--no-edit', 'origin', 'main'], { cwd: bob, encoding: 'utf8' });
    expect(pull.status, pull.stderr).toBe(0);
    const text = read(bob, LOG);
    expect(text).not.toMatch(/^(<<<<<<<|=======|>>>>>>>)/m);
    const records = (readYaml(join(bob, LOG)) as { learnings: Array<{ id: string }> }).learnings.map((record) => record.id);
    expect(new Set(records).size).toBe(records.length);
    expect(records).toHaveLength(7);
    const live = learnings(bob);
    expect(live.map((l) => l.id).sort()).toEqual([shared, aliceOwn, bobOwn].sort());
    expect(live.find((l) => l.id === shared)?.confirmations).toBe(2);
    expect(block(bob)).toContain(aliceOwn);
    expect(block(bob)).not.toContain(bobGone);
    // The merge commit itself carries the merged lessons in its block: nothing is left for a later commit.
    const merged = git(bob, 'show', 'HEAD:AGENTS.md');
    for (const id of [shared, aliceOwn, bobOwn]) expect(merged).toContain(id);
    expect(git(bob, 'status', '--porcelain')).toBe('');
    expect(cli(bob, ['boot', '--check']).code).toBe(0);
    const check = cli(bob, ['check']);
    expect(check.code, check.stdout).toBe(0);
  });
});

describe('learnings in the briefing', () => {
  /** Many learnings written straight into the log (as a long-lived project would have), then committed. */
  function manyLearnings(count: number): { dir: string; ids: string[] } {
    const dir = stateRepo();
    const ids: string[] = [];
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = `l-${String(i).padStart(10, '0')}`;
      ids.push(id);
      const at = new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString();
      lines.push(`- ${JSON.stringify({ id, at, kind: 'learning', text: `Lesson number ${i}: ${'detail '.repeat(8)}`, category: 'tip', tags: i === 0 ? ['payments'] : ['misc'], ...(i === 0 ? { refs: ['src/payments/'] } : {}), agent: 'bot' })}\n`);
    }
    appendFileSync(join(dir, LOG), lines.join(''));
    git(dir, 'add', LOG);
    git(dir, 'commit', '-qm', 'import learnings');
    ok(dir, 'boot');
    return { dir, ids };
  }

  it('the budget holds with many learnings: the lowest-ranked go first, the cut is said, open decisions stay', () => {
    const { dir, ids } = manyLearnings(300);
    const decision = ok(dir, 'decide', 'Ship the payments retry', '--why', 'customers double-charged');
    const full = cli(dir, ['resume']).stdout;
    const shown = full.split('\n').filter((line) => /^- l-\d{10} /.test(line));
    expect(shown).toHaveLength(10);
    expect(shown[0]).toContain(ids[299]); // the newest first
    const small = cli(dir, ['resume', '--budget', '300']);
    expect(Buffer.byteLength(small.stdout)).toBeLessThanOrEqual(1200);
    expect(small.stdout).toContain(decision);
    expect(small.stdout).toMatch(/cut to fit the .*budget:.*learnings/i);
    expect(Buffer.byteLength(block(dir))).toBeLessThanOrEqual(1500 * 4);
    expect(block(dir).split('\n').filter((line) => line.startsWith('- l-'))).toHaveLength(5);

    const config = read(dir, '.agentstate/config.yaml').replace('budget: 1500', 'budget: 250');
    writeFileSync(join(dir, '.agentstate/config.yaml'), config);
    ok(dir, 'boot');
    expect(Buffer.byteLength(readFileSync(join(dir, 'AGENTS.md')))).toBeLessThanOrEqual(250 * 4 + 200);
    expect(block(dir)).toContain(decision);
  });

  it('--focus brings the learnings tagged with it first, however old', () => {
    const { dir, ids } = manyLearnings(30);
    const focused = cli(dir, ['resume', '--focus', 'payments']).stdout.split('\n').filter((line) => line.startsWith('- l-'));
    expect(focused[0]).toContain(ids[0]);
    const plain = cli(dir, ['resume']).stdout.split('\n').filter((line) => line.startsWith('- l-'));
    expect(plain.join('\n')).not.toContain(ids[0]);
    const asJson = json<{ learnings: Array<{ id: string }> }>(cli(dir, ['resume', '--format', 'json', '--focus', 'payments']));
    expect(asJson.learnings[0]?.id).toBe(ids[0]);
  });

  it('--focus naming a file under a lesson\'s --ref directory brings that lesson first', () => {
    const { dir, ids } = manyLearnings(30);
    for (const focus of ['src/payments/retry.ts', 'fix the retry in ./src/payments/retry.ts']) {
      const shown = cli(dir, ['resume', '--focus', focus]).stdout.split('\n').filter((line) => line.startsWith('- l-'));
      expect(shown[0], focus).toContain(ids[0]);
    }
    const elsewhere = cli(dir, ['resume', '--focus', 'src/billing/retry.ts']).stdout;
    expect(elsewhere).not.toContain(ids[0]);
  });
});
