import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, existsSync, readdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, git, gitRepo, json, readYaml, read, stateRepo } from '../helpers/cli.js';

const EVENTS = '.agentstate/events.yaml';
const CATCHES = '.agentstate/catch-log.tsv';
const BACKLOG = '.agentstate/backlog.yaml';

function seeded(): string {
  const dir = stateRepo();
  for (const summary of ['one', 'two', 'three']) cli(dir, ['log', summary]);
  cli(dir, ['catch', 'lint', 'first']);
  cli(dir, ['catch', 'lint', 'second']);
  cli(dir, ['decide', 'a decision', '--why', 'w']);
  cli(dir, ['backlog', 'add', 'a task']);
  return dir;
}

const check = (dir: string, ...args: string[]) => cli(dir, ['check', ...args]);

describe('check', () => {
  it('passes on clean state', () => {
    const dir = seeded();
    const run = check(dir);
    expect(run.code, run.stdout + run.stderr).toBe(0);
  });

  it.each([
    ['a rewritten event', (dir: string) => writeFileSync(join(dir, EVENTS), read(dir, EVENTS).replace('"summary":"two"', '"summary":"TWO"')), /events\.yaml:5: record ev-\w+ was changed since the last commit/],
    ['a deleted TSV row', (dir: string) => writeFileSync(join(dir, CATCHES), read(dir, CATCHES).split('\n').filter((l) => !l.includes('first')).join('\n')), /catch-log\.tsv:\d+: record ct-\w+ was removed/],
    ['a duplicate id', (dir: string) => appendFileSync(join(dir, EVENTS), read(dir, EVENTS).split('\n')[3]!.replace('"summary":"one"', '"summary":"copy"') + '\n'), /events\.yaml:7: duplicate id ev-\w+ with different content/],
    ['a stale index', (dir: string) => writeFileSync(join(dir, '.agentstate/decisions-index.yaml'), read(dir, '.agentstate/decisions-index.yaml').replace('count: 1', 'count: 7')), /decisions-index\.yaml: does not match decisions\.yaml/],
    ['an invalid record', (dir: string) => appendFileSync(join(dir, EVENTS), '- {"id":"ev-bad","at":"yesterday","type":"x","agent":"a"}\n'), /events\.yaml:7: id: must be an id/],
    ['a dangling outcome', (dir: string) => appendFileSync(join(dir, '.agentstate/decisions.yaml'), '- {"id":"d-0000000001","at":"2026-01-01T00:00:00.000Z","kind":"outcome","decision":"d-9999999999","status":"done","agent":"a"}\n'), /names unknown decision d-9999999999/],
    ['an unknown dependency', (dir: string) => writeFileSync(join(dir, BACKLOG), read(dir, BACKLOG).replace('"priority":"P2"', '"priority":"P2","depends_on":["t-0000000000"]')), /depends on unknown task t-0000000000/],
    ['a secret written by hand', (dir: string) => appendFileSync(join(dir, EVENTS), `- {"id":"ev-0000000009","at":"2026-01-01T00:00:00.000Z","type":"note","agent":"a","summary":"token ${['gh', 'p_', 'R8x2Lq9ZtW4mNc7VbK1sD3fH6jP0yA5eUoGi'].join('')}"}\n`), /summary looks like a secret \(github-pat\)/],
  ])('flags %s', (_, damage, message) => {
    const dir = seeded();
    damage(dir);
    const run = check(dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(message);
    for (const line of run.stdout.trim().split('\n')) expect(line).toMatch(/^[^:]+(:\d+)?: /);
  });

  it('the installed hook blocks a commit of tampered state and passes a clean one, keeping an existing hook', () => {
    const dir = seeded();
    const existing = join(dir, '.git/hooks/pre-commit');
    writeFileSync(existing, `#!/bin/sh\necho mine >> "${join(dir, 'my-hook-ran')}"\n`);
    chmodSync(existing, 0o755);
    const install = cli(dir, ['hooks', 'install']);
    expect(install.code, install.stderr).toBe(0);
    expect(cli(dir, ['hooks', 'install']).stdout).toMatch(/already installed/);

    writeFileSync(join(dir, 'work.txt'), 'clean\n');
    git(dir, 'add', 'work.txt');
    git(dir, 'commit', '-q', '-m', 'clean commit');
    expect(read(dir, 'my-hook-ran')).toBe('mine\n');

    writeFileSync(join(dir, EVENTS), read(dir, EVENTS).replace('"summary":"one"', '"summary":"rewritten"'));
    git(dir, 'add', EVENTS);
    const blocked = spawnSync('git', ['commit', '-q', '-m', 'tampered'], { cwd: dir, encoding: 'utf8' });
    expect(blocked.status).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toMatch(/was changed since the last commit/);
    expect(git(dir, 'log', '-1', '--format=%s').trim()).toBe('clean commit');
  });

  it('check --staged reads the index, not the working tree', () => {
    const dir = seeded();
    writeFileSync(join(dir, EVENTS), read(dir, EVENTS).replace('"summary":"one"', '"summary":"unstaged rewrite"'));
    expect(check(dir, '--staged').code).toBe(0);
    expect(check(dir).code).toBe(1);
  });
});

describe('secrets, sizes and attachments', () => {
  it('a GitHub-token-looking string is refused and appears in no file and no git object', () => {
    const dir = stateRepo();
    const token = ['gh', 'p_', 'Q7x2Lq9ZtW4mNc7VbK1sD3fH6jP0yA5eUoGi'].join('');
    for (const args of [['log', `deploy with ${token}`], ['decide', 'x', '--why', token], ['catch', 'scan', token], ['backlog', 'add', token], ['state', 'set', `token=${token}`]]) {
      const run = cli(dir, args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/looks like a secret \(github-pat\)/);
      expect(run.stderr).not.toContain(token);
    }
    const grep = spawnSync('grep', ['-r', token, '.'], { cwd: dir });
    expect(grep.status).toBe(1);
    const objects = spawnSync('git', ['cat-file', '--batch-all-objects', '--batch'], { cwd: dir, encoding: 'utf8' });
    expect(objects.stdout).not.toContain(token);
    expect(cli(dir, ['log', `not a secret: ${token}`, '--allow-secret']).code).toBe(0);
    expect(check(dir).code).toBe(0);
  });

  it('a field over the limit is refused with a hint; --attach stores the file by sha256, once', () => {
    const dir = stateRepo();
    const big = 'x'.repeat(5000);
    const run = cli(dir, ['log', big]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/summary is 5000 bytes, over the 4096-byte limit/);
    expect(run.stderr).toMatch(/--attach FILE/);
    writeFileSync(join(dir, 'report.txt'), big);
    const first = json<{ event: { attachments: Array<{ path: string; sha256: string; bytes: number }> } }>(cli(dir, ['log', 'see report', '--attach', 'report.txt', '--json']));
    const attachment = first.event.attachments[0]!;
    expect(attachment.bytes).toBe(5000);
    expect(read(dir, `.agentstate/${attachment.path}`)).toBe(big);
    expect(cli(dir, ['log', 'again', '--attach', 'report.txt']).code).toBe(0);
    expect(readdirSync(join(dir, '.agentstate/blobs'))).toEqual([attachment.sha256]);
    expect(git(dir, 'status', '--porcelain')).toBe('?? report.txt\n');
  });
});

describe('doctor', () => {
  it('reports appended garbage; --repair keeps every complete record and sets the bytes aside', () => {
    const dir = seeded();
    cli(dir, ['log', 'four', '--no-commit']);
    appendFileSync(join(dir, EVENTS), 'garbage line\n- {"id":"ev-half');
    const report = cli(dir, ['doctor']);
    expect(report.code).toBe(1);
    expect(report.stdout).toMatch(/FAIL state files: \.agentstate\/events\.yaml:8: 1 line\(s\) that are not records/);
    const repair = cli(dir, ['doctor', '--repair']);
    expect(repair.code, repair.stderr).toBe(0);
    expect(repair.stdout).toMatch(/set the file aside in \.agentstate\/events\.yaml\.corrupt-/);
    const events = (readYaml(join(dir, EVENTS)) as { events: Array<{ summary: string }> }).events.map((e) => e.summary);
    expect(events).toEqual(['one', 'two', 'three', 'four']);
    const aside = readdirSync(join(dir, '.agentstate')).find((name) => name.startsWith('events.yaml.corrupt-'))!;
    expect(read(dir, `.agentstate/${aside}`)).toContain('garbage line\n- {"id":"ev-half');
    expect(check(dir).code).toBe(0);
    expect(cli(dir, ['doctor']).stdout).toMatch(/ok {3}state files/);
  });

  it('runs with a damaged config.yaml and restores it', () => {
    const dir = seeded();
    const good = read(dir, '.agentstate/config.yaml');
    writeFileSync(join(dir, '.agentstate/config.yaml'), 'git: [unclosed\n');
    expect(cli(dir, ['log', 'blocked by the config']).code).toBe(1);
    const report = cli(dir, ['doctor']);
    expect(report.stdout).toMatch(/FAIL state files: .*config\.yaml/);
    expect(report.stderr).toMatch(/using the default settings/);
    expect(cli(dir, ['doctor', '--repair']).code).toBe(0);
    expect(read(dir, '.agentstate/config.yaml')).toBe(good);
    expect(cli(dir, ['log', 'works again']).code).toBe(0);
  });

  it('says how to register the merge drivers when they are missing', () => {
    const dir = seeded();
    git(dir, 'config', '--remove-section', 'merge.agentstate-log');
    expect(cli(dir, ['doctor']).stdout).toMatch(/merge drivers: not registered in this clone: agentstate-log; run `agentstate hooks install`/);
  });
});

describe('never clobber what you cannot read', () => {
  it('a corrupt backlog.yaml: backlog add exits 1, the file stays byte-identical, restore brings it back', () => {
    const dir = seeded();
    const good = read(dir, BACKLOG);
    const corrupt = good.replace('"status":"open"', '"status":"open"  ]]] broken');
    writeFileSync(join(dir, BACKLOG), corrupt);
    const add = cli(dir, ['backlog', 'add', 'more']);
    expect(add.code).toBe(1);
    expect(add.stderr).toMatch(/backlog\.yaml(:\d+)?: /);
    expect(add.stderr).toMatch(/doctor/);
    expect(read(dir, BACKLOG)).toBe(corrupt);
    const decide = cli(dir, ['decide', 'still works', '--why', 'the chain is fine']);
    expect(decide.code).toBe(0);
    expect(read(dir, BACKLOG)).toBe(corrupt);
    const restore = cli(dir, ['restore', 'backlog.yaml']);
    expect(restore.code, restore.stderr).toBe(0);
    expect(read(dir, BACKLOG)).toBe(good);
  });

  it('restore --rev brings back an older version in a new commit', () => {
    const dir = seeded();
    const before = read(dir, BACKLOG);
    cli(dir, ['backlog', 'add', 'second task']);
    const count = Number(git(dir, 'rev-list', '--count', 'HEAD').trim());
    expect(cli(dir, ['restore', '.agentstate/backlog.yaml', '--rev', 'HEAD~1']).code).toBe(0);
    expect(read(dir, BACKLOG)).toBe(before);
    expect(Number(git(dir, 'rev-list', '--count', 'HEAD').trim())).toBe(count + 1);
    expect(cli(dir, ['restore', '../../etc/passwd']).code).toBe(2);
  });
});

describe('hostile input', () => {
  const hostile = (dir: string, text: string) => {
    writeFileSync(join(dir, EVENTS), text);
    return { run: cli(dir, ['events']) };
  };

  // Not timed (the machine's load is not ours to judge): the alias cap itself must be what stops
  // it; an uncapped expansion (9^10 nodes) would run out of memory or past the test's timeout.
  it('an alias bomb is rejected by the alias cap', () => {
    const dir = stateRepo();
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const { run } = hostile(dir, `schema: 1\n${levels.join('\n')}\nevents: [*j]\n`);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/events\.yaml: rejected: .*alias/i);
  });

  it('unknown tags and deep nesting are rejected', () => {
    const dir = stateRepo();
    expect(hostile(dir, 'schema: 1\nevents:\n  - !!python/object:os.system {id: x}\n').run.code).toBe(1);
    expect(hostile(dir, `schema: 1\nevents:\n  - ${'['.repeat(20000)}${']'.repeat(20000)}\n`).run.code).toBe(1);
  });

  it('a symlinked state file is refused', () => {
    const dir = stateRepo();
    const target = join(dir, 'elsewhere.yaml');
    writeFileSync(target, read(dir, EVENTS));
    unlinkSync(join(dir, EVENTS));
    symlinkSync(target, join(dir, EVENTS));
    const run = cli(dir, ['log', 'through a link']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/symbolic link/);
    expect(readFileSync(target, 'utf8')).not.toContain('through a link');
  });
});

describe('migrate', () => {
  it('reads an older schema, then upgrades it after committing the old state', () => {
    const dir = gitRepo();
    cpSync(resolve(import.meta.dirname, '../../fixtures/schema-0/.agentstate'), join(dir, '.agentstate'), { recursive: true });
    git(dir, 'add', '.agentstate');
    git(dir, 'commit', '-qm', 'prototype state');
    const events = json<{ events: Array<{ at: string; type: string; summary: string }> }>(cli(dir, ['events', '--json'])).events;
    expect(events.map((e) => [e.type, e.summary])).toEqual([['note', 'first event of the prototype'], ['deploy', 'deployed v0.1']]);
    expect(json<{ fields: Record<string, unknown> }>(cli(dir, ['state', 'get', '--json'])).fields).toEqual({ phase: 'prototype', attempts: 2 });

    expect(cli(dir, ['doctor']).stdout).toMatch(/FAIL schema versions: older schema in .*events\.yaml.*run `agentstate migrate`/);
    const count = Number(git(dir, 'rev-list', '--count', 'HEAD').trim());
    const run = cli(dir, ['migrate']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/migrated to schema 1: .*events\.yaml/);
    expect(Number(git(dir, 'rev-list', '--count', 'HEAD').trim())).toBe(count + 1);
    expect(read(dir, EVENTS).split('\n').filter((line) => line.startsWith('- {'))).toHaveLength(2);
    expect(read(dir, EVENTS)).toContain('"at":"2025-06-01T10:00:00.000Z"');
    expect(JSON.parse(read(dir, '.agentstate/runtime.json'))).toMatchObject({ schema: 1, version: 0, fields: { phase: 'prototype' } });
    expect(cli(dir, ['migrate']).stdout).toMatch(/nothing to migrate/);
    expect(cli(dir, ['doctor']).stdout).toMatch(/ok {3}schema versions: all at schema 1/);
    expect(read(dir, '.agentstate/config.yaml')).toContain('# agentstate settings (prototype, schema 0)\nschema: 1\n');
    expect(existsSync(join(dir, EVENTS))).toBe(true);
  });
});

describe('append-only through history', () => {
  it('flags a commit since the last check point that rewrote a record, and not a seal', () => {
    const dir = seeded();
    expect(check(dir).code).toBe(0); // sets the check point
    writeFileSync(join(dir, EVENTS), read(dir, EVENTS).replace('"summary":"two"', '"summary":"rewritten and committed"'));
    git(dir, 'commit', '-qam', 'sneaky history rewrite');
    cli(dir, ['log', 'an honest one after it']);
    const run = check(dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/events\.yaml: commit [0-9a-f]{7} changed record ev-\w+ \(append-only\)/);
  });

  it('a new project seals its logs at 256 KiB; one whose config.yaml an earlier version wrote keeps its 1 MiB', () => {
    const filler = (n: number) => `- {"id":"ev-f${n.toString(32).padStart(9, '0')}","at":"2025-06-01T00:00:00.000Z","type":"note","agent":"seed","summary":"filler event ${n} to grow the log"}\n`;
    const grown = (dir: string) => {
      appendFileSync(join(dir, EVENTS), Array.from({ length: 2_600 }, (_, n) => filler(n)).join('')); // ~300 KB
      git(dir, 'commit', '-qam', 'a grown log');
      expect(cli(dir, ['log', 'past 256 KiB']).code).toBe(0);
      return existsSync(join(dir, '.agentstate/archive')) ? readdirSync(join(dir, '.agentstate/archive')).filter((name) => name.startsWith('events.')) : [];
    };
    expect(read(stateRepo(), '.agentstate/config.yaml')).toMatch(/seal_bytes: 262144 /);
    expect(grown(stateRepo())).toHaveLength(1);
    const older = stateRepo();
    writeFileSync(join(older, '.agentstate/config.yaml'), read(older, '.agentstate/config.yaml').replace(/seal_bytes: 262144 .*/, 'seal_bytes: 1048576   # an append-only log larger than this is sealed into archive/'));
    git(older, 'commit', '-qam', 'config as 0.1 wrote it');
    expect(grown(older)).toHaveLength(0);
    expect(check(older).code).toBe(0);
  });

  it('a seal moves records into archive/ without a finding', () => {
    const dir = seeded();
    writeFileSync(join(dir, '.agentstate/config.yaml'), read(dir, '.agentstate/config.yaml').replace('seal_bytes: 262144', 'seal_bytes: 700'));
    git(dir, 'commit', '-qam', 'small seals');
    expect(check(dir).code).toBe(0);
    for (let i = 0; i < 6; i++) cli(dir, ['log', `filler ${i} ${'x'.repeat(40)}`]);
    expect(readdirSync(join(dir, '.agentstate/archive')).length).toBeGreaterThan(0);
    const run = check(dir);
    expect(run.code, run.stdout).toBe(0);
  });
});
