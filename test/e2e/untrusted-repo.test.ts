import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, filesOf, git, gitRepo, read, stateRepo, tempDir } from '../helpers/cli.js';

/** A fake token assembled at run time, so this file holds no secret-looking text. */
const TOKEN = ['ghp', '_', 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'].join('');
const AWS_KEY = ['AKIA', 'Z7QW', 'E4RT', 'Y6UI', 'O2PL'].join('');

describe('a cloned repository is untrusted', () => {
  it('a tracked .locks/deferred-commit naming .env and src/app.ts: the next log commits neither', () => {
    const dir = stateRepo();
    mkdirSync(join(dir, '.agentstate/.locks'), { recursive: true });
    writeFileSync(join(dir, '.agentstate/.locks/deferred-commit'), '.env\nsrc/app.ts\n');
    git(dir, 'add', '-f', '.agentstate/.locks/deferred-commit');
    git(dir, 'commit', '-qm', 'planted by someone else');
    writeFileSync(join(dir, '.env'), `TOKEN=${TOKEN}\n`);
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src/app.ts'), 'work in progress\n');
    expect(cli(dir, ['log', 'innocent']).code).toBe(0);
    expect(filesOf(dir)).toEqual(['.agentstate/events.yaml']);
    expect(git(dir, 'status', '--porcelain', '--', '.env', 'src')).toMatch(/\?\? \.env/);
    expect(cli(dir, ['doctor']).stdout).toMatch(/tracked local files: \.agentstate\/\.locks\/deferred-commit/);
    const repair = cli(dir, ['doctor', '--repair']);
    expect(repair.stdout).toMatch(/untracked \.agentstate\/\.locks\/deferred-commit/);
    expect(git(dir, 'ls-files', '.agentstate/.locks')).toBe('');
    expect(git(dir, 'status', '--porcelain')).toMatch(/^\?\? \.env/m);
  });

  it('the deferred list under the git dir is verified: a line naming a file that is not ours is never committed or read', () => {
    const dir = stateRepo();
    const list = join(dir, git(dir, 'rev-parse', '--git-path', 'agentstate/deferred-commit').trim());
    writeFileSync(list, '.env\nsrc/app.ts\n../outside\n.agentstate/../.env\n');
    mkdirSync(join(dir, '../outside'), { recursive: true });
    writeFileSync(join(dir, '.env'), `TOKEN=${TOKEN}\n`);
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src/app.ts'), 'work in progress\n');
    const run = cli(dir, ['log', 'innocent']);
    expect(run.code, run.stderr).toBe(0);
    expect(filesOf(dir)).toEqual(['.agentstate/events.yaml']);
    expect(git(dir, 'status', '--porcelain')).toBe('?? .env\n?? src/\n');
  });

  it('a tracked .locks/checked-segments cannot make check pass a sealed segment holding a key', () => {
    const dir = stateRepo();
    const header = '# agentstate event log: append-only, one event per line. Add with `agentstate log`.\nschema: 1\nevents:\n';
    const segment = `${header}- {"id":"ev-0000000001","at":"2026-01-01T00:00:00.000Z","type":"note","agent":"x","summary":"key ${AWS_KEY}"}\n`;
    mkdirSync(join(dir, '.agentstate/archive'));
    writeFileSync(join(dir, '.agentstate/archive/events.20260101T000000Z.abc123.yaml'), segment);
    mkdirSync(join(dir, '.agentstate/.locks'), { recursive: true });
    writeFileSync(join(dir, '.agentstate/.locks/checked-segments'), `${createHash('sha1').update(segment).digest('hex')}\n`);
    git(dir, 'add', '-f', '.agentstate');
    git(dir, 'commit', '-qm', 'planted', '--no-verify');
    const check = cli(dir, ['check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/archive\/events\.20260101T000000Z\.abc123\.yaml:4: summary looks like a secret/);
    expect(check.stderr).toMatch(/ignored \(tracked by git, never read by agentstate\): \.agentstate\/\.locks\/checked-segments/);
  });

  it.each(['.agentstate', '.agentstate/archive', '.agentstate/blobs', '.agentstate/.locks'])('a symlinked %s is refused: nothing is written outside the repository', (link) => {
    const dir = stateRepo();
    const outside = tempDir();
    if (link === '.agentstate') {
      for (const name of ['config.yaml', 'events.yaml', 'decisions.yaml', 'backlog.yaml', 'runtime.json', 'catch-log.tsv', 'decisions-index.yaml']) {
        writeFileSync(join(outside, name), readFileSync(join(dir, '.agentstate', name)));
      }
    }
    rmSync(join(dir, link), { recursive: true, force: true });
    symlinkSync(outside, join(dir, link));
    const snapshot = () => JSON.stringify(Object.fromEntries(['config.yaml', 'events.yaml'].filter((n) => existsSync(join(outside, n))).map((n) => [n, read(outside, n)])));
    const before = snapshot();
    writeFileSync(join(dir, 'note.txt'), 'attached\n');
    const run = cli(dir, ['log', 'through a link', '--attach', 'note.txt']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/symbolic link/);
    expect(snapshot()).toBe(before);
    expect(existsSync(join(outside, 'blobs'))).toBe(false);
  });
});

describe("the user's files are never committed by us", () => {
  it("AGENTS.md: HEAD's content with only our block replaced; the user's edit stays unstaged", () => {
    const dir = stateRepo();
    const committed = git(dir, 'show', 'HEAD:AGENTS.md');
    writeFileSync(join(dir, 'AGENTS.md'), `${read(dir, 'AGENTS.md')}\n## WIP\n`);
    expect(cli(dir, ['backlog', 'add', 't1']).code).toBe(0);
    const now = git(dir, 'show', 'HEAD:AGENTS.md');
    expect(now).not.toContain('## WIP');
    expect(now).toContain('t1');
    expect(now.slice(0, now.indexOf('<!-- agentstate:begin -->'))).toBe(committed.slice(0, committed.indexOf('<!-- agentstate:begin -->')));
    expect(read(dir, 'AGENTS.md')).toContain('## WIP');
    expect(read(dir, 'AGENTS.md')).toContain('t1');
    expect(git(dir, 'diff', '--cached', '--name-only')).toBe('');
    expect(git(dir, 'diff', '--', 'AGENTS.md')).toMatch(/^\+## WIP$/m);
  });

  it("agentstate commit leaves the user's own .gitattributes edit uncommitted", () => {
    const dir = stateRepo();
    writeFileSync(join(dir, '.gitattributes'), `${read(dir, '.gitattributes')}*.png binary\n`);
    const head = git(dir, 'rev-parse', 'HEAD');
    const run = cli(dir, ['commit']);
    expect(run.code).toBe(0);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(dir, 'show', 'HEAD:.gitattributes')).not.toContain('*.png');
    expect(git(dir, 'status', '--porcelain')).toBe(' M .gitattributes\n');
  });

  it('.agentstate/ git-ignored: files written, exit 0, "not versioned" said once, the index left as it was', () => {
    const dir = gitRepo();
    writeFileSync(join(dir, '.gitignore'), '.agentstate/\n');
    git(dir, 'add', '.gitignore');
    git(dir, 'commit', '-qm', 'ignore state');
    const head = git(dir, 'rev-parse', 'HEAD');
    const init = cli(dir, ['init', '--json']);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toMatch(/not versioned: \.agentstate\/ is git-ignored/);
    expect(JSON.parse(init.stdout).commit).toMatchObject({ status: 'off', reason: 'not versioned: .agentstate/ is git-ignored' });
    const log = cli(dir, ['log', 'kept locally', '-q']);
    expect(log.code).toBe(0);
    expect(log.stderr).not.toMatch(/next command records it|not versioned/);
    expect(read(dir, '.agentstate/events.yaml')).toContain(log.stdout.trim());
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(dir, 'diff', '--cached', '--name-only')).toBe('');
    // Nothing promises a commit that will never come.
    expect(cli(dir, ['commit']).stdout).toMatch(/not recorded \(not versioned: \.agentstate\/ is git-ignored\)/);
    const doctor = cli(dir, ['doctor']);
    expect(doctor.stdout).not.toMatch(/FAIL deferred commits|run `agentstate commit`/);
    expect(doctor.stdout).toMatch(/ok\s+deferred commits: none: not versioned: \.agentstate\/ is git-ignored/);
    expect(git(dir, 'diff', '--cached', '--name-only')).toBe('');
  });
});

describe('clock skew: dates in the future', () => {
  it('future-dated records show as future, and a future heartbeat is suspicious, not fresh', () => {
    const dir = stateRepo();
    const future = '2030-01-01T00:00:00.000Z';
    const add = (file: string, record: Record<string, unknown>) => writeFileSync(join(dir, '.agentstate', file), `${read(dir, `.agentstate/${file}`)}- ${JSON.stringify(record)}\n`);
    add('decisions.yaml', { id: 'd-fffffffff1', at: future, agent: 'ahead', kind: 'decision', title: 'decided on a fast clock', why: 'w', standing: false });
    add('events.yaml', { id: 'ev-fffffffff1', at: future, type: 'note', agent: 'ahead', summary: 'logged on a fast clock' });
    add('backlog.yaml', { id: 't-fffffffff2', title: 'done on a fast clock', status: 'done', priority: 'P2', version: 2, created: future, updated: future });
    add('backlog.yaml', { id: 't-fffffffff1', title: 'claimed on a fast clock', status: 'active', owner: 'ahead', priority: 'P1', version: 1, created: future, updated: future, claimed_at: future });
    const runtime = JSON.parse(read(dir, '.agentstate/runtime.json')) as Record<string, unknown>;
    writeFileSync(join(dir, '.agentstate/runtime.json'), JSON.stringify({ ...runtime, version: 2, updated_at: future, updated_by: 'ahead', heartbeat_at: future, fields: { phase: 'x' } }, null, 2));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'from a machine whose clock is years ahead', '--no-verify');

    expect(cli(dir, ['decisions']).stdout).toMatch(/d-fffffffff1\s+open\s+future\s+decided on a fast clock/);
    expect(cli(dir, ['board', '--width', '200']).stdout).toMatch(/done in the future \(2030-01-01\)/);
    const resume = cli(dir, ['resume']).stdout;
    expect(resume).not.toContain('just now');
    expect(resume).toContain(`decided on a fast clock** (in the future (${future}), ahead)`);
    expect(resume).toContain(`updated in the future (${future}) by ahead; heartbeat in the future (${future})`);
    expect(resume).toMatch(/t-fffffffff1 .*STALE: no activity known/);
    expect(resume).toMatch(/runtime heartbeat 2030-01-01T00:00:00\.000Z is in the future: a clock is wrong/);
    const check = cli(dir, ['resume', '--check']);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/heartbeat 2030-01-01T00:00:00\.000Z is in the future/);
  });
});
