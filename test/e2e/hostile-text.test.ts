import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, git, gitRepo, json, read, stateRepo, tempDir } from '../helpers/cli.js';

/** Issue 16: text that breaks things: marker injection, repeated keys, CRLF and BOM. */
const BEGIN = '<!-- agentstate:begin -->';
const END = '<!-- agentstate:end -->';
const markerLines = (text: string, marker: string) => text.split(/\r?\n/).filter((line) => line.trim() === marker).length;
const bytesOf = (dir: string, path: string) => readFileSync(join(dir, path));

describe('marker injection and damaged AGENTS.md blocks', () => {
  it("handoff --note 'x <!-- agentstate:end --> y' then 10 commands: one block, no growth, check passes", () => {
    const dir = stateRepo();
    expect(cli(dir, ['handoff', '--note', `x ${END} y`, '--done', `a ${BEGIN} b`]).code).toBe(0);
    const after = read(dir, 'AGENTS.md');
    const commands = [
      ['log', 'one'],
      ['backlog', 'add', `task ${END}`],
      ['decide', `title ${BEGIN}`, '--why', `why ${END}`],
      ['log', 'two'],
      ['state', 'set', 'phase=build'],
      ['catch', 'lint', 'caught'],
      ['backlog', 'add', 'another'],
      ['handoff', '--note', `again <!-- agentstate:e`, '--remaining', `nd --> tail`],
      ['log', 'three'],
      ['boot'],
    ];
    for (const args of commands) expect(cli(dir, args).code, args.join(' ')).toBe(0);
    const text = read(dir, 'AGENTS.md');
    expect(markerLines(text, BEGIN)).toBe(1);
    expect(markerLines(text, END)).toBe(1);
    expect(text.split(END).length).toBe(2); // the marker text appears once in the whole file
    expect(text.split('\n').length).toBeLessThan(after.split('\n').length + 15);
    expect(text).toContain('Note: again &lt;!-- agentstate:e');
    expect(cli(dir, ['check']).code).toBe(0);
    expect(cli(dir, ['boot', '--check']).code).toBe(0);
  });

  const USER_BEFORE = '# My project\n\nRead `docs/plan.md` first.\n\n';
  const MENTION = '# My project\n\nThe markers `<!-- agentstate:begin -->` and <!-- agentstate:end --> are agentstate\'s.\n\n';
  const USER_AFTER = '\n## My notes\n\nkeep me\n';

  /** A repository whose AGENTS.md has the user's text around a healthy block. */
  function withUserText(before = USER_BEFORE): { dir: string; block: string } {
    const dir = gitRepo();
    writeFileSync(join(dir, 'AGENTS.md'), before);
    expect(cli(dir, ['init']).code).toBe(0);
    writeFileSync(join(dir, 'AGENTS.md'), read(dir, 'AGENTS.md') + USER_AFTER);
    git(dir, 'commit', '-qam', 'user notes after the block');
    const text = read(dir, 'AGENTS.md');
    const block = text.slice(text.indexOf(`\n${BEGIN}`) + 1, text.indexOf(`${END}\n`) + END.length);
    expect(text.indexOf(block)).toBeGreaterThan(0);
    return { dir, block };
  }

  it.each([
    ['a second end marker with old block text before it', (block: string) => `${block.replace(END, 'stale line\n' + END)}\nold junk\n${END}`],
    ['the end marker missing', (block: string) => block.replace(END, '').replace(/\n$/, '')],
    ['a second begin marker inside', (block: string) => block.replace('\n### ', `\n${BEGIN}\n### `)],
    ['a stray end marker before the block', (block: string) => `${END}\n${block}`],
  ])('boot and doctor --repair rebuild one block from %s, the user text kept byte for byte', (_, damage) => {
    for (const repair of [['boot'], ['doctor', '--repair']]) {
      const { dir, block } = withUserText();
      const text = read(dir, 'AGENTS.md');
      writeFileSync(join(dir, 'AGENTS.md'), text.replace(block, damage(block)));
      expect(cli(dir, ['boot', '--check']).code).toBe(1);
      if (repair[0] === 'doctor') expect(cli(dir, ['doctor']).stdout).toMatch(/FAIL AGENTS\.md block: damaged/);
      const run = cli(dir, repair);
      expect(run.code, run.stderr).toBe(0);
      const repaired = read(dir, 'AGENTS.md');
      expect(markerLines(repaired, BEGIN)).toBe(1);
      expect(markerLines(repaired, END)).toBe(1);
      expect(repaired.startsWith(USER_BEFORE)).toBe(true);
      expect(repaired.endsWith(`${END}\n${USER_AFTER}`)).toBe(true);
      expect(cli(dir, ['check']).code, repair.join(' ')).toBe(0);
      expect(git(dir, 'status', '--porcelain')).toBe('');
    }
  });

  it('init and the commands that regenerate the block keep user text that mentions the markers in prose', () => {
    const { dir } = withUserText(MENTION);
    expect(cli(dir, ['log', 'x', '--type', 'handoff']).code).toBe(0);
    expect(cli(dir, ['backlog', 'add', 'y']).code).toBe(0);
    const text = read(dir, 'AGENTS.md');
    expect(text.startsWith(MENTION)).toBe(true);
    expect(text.endsWith(`${END}\n${USER_AFTER}`)).toBe(true);
  });
});

describe('a record line that repeats a key', () => {
  const appendLine = (dir: string, path: string, line: string) => writeFileSync(join(dir, path), read(dir, path) + line + '\n');

  it.each([
    ['at the top level', '{"id":"ev-0000000009","at":"2026-01-01T00:00:00.000Z","type":"note","agent":"a","summary":"first","summary":"second"}', 'summary'],
    ['in a nested map', '{"id":"ev-0000000009","at":"2026-01-01T00:00:00.000Z","type":"note","agent":"a","data":{"n":1,"m":{"k":1, "k" :2}}}', 'k'],
    ['written with an escape', '{"id":"ev-0000000009","at":"2026-01-01T00:00:00.000Z","type":"note","agent":"a","\\u0074ype":"x"}', 'type'],
  ])('check names file:line %s', (_, record, key) => {
    const dir = stateRepo();
    cli(dir, ['log', 'one']);
    appendLine(dir, '.agentstate/events.yaml', `- ${record}`);
    const run = cli(dir, ['check']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`.agentstate/events.yaml:5: the record repeats the key "${key}"`);
  });

  it('a command that rewrites backlog.yaml refuses it with file:line and leaves it byte-identical', () => {
    const dir = stateRepo();
    const id = json<{ id: string }>(cli(dir, ['backlog', 'add', 'task', '--json'])).id;
    const path = '.agentstate/backlog.yaml';
    writeFileSync(join(dir, path), read(dir, path).replace('"status":"open"', '"status":"open","status":"done"'));
    const before = bytesOf(dir, path);
    const run = cli(dir, ['backlog', 'update', id, '--priority', 'P0']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/\.agentstate\/backlog\.yaml:4: the record repeats the key "status"/);
    expect(bytesOf(dir, path).equals(before)).toBe(true);
    expect(cli(dir, ['check']).stdout).toMatch(/backlog\.yaml:4: the record repeats the key "status"/);
  });

  it('state set refuses a runtime.json that repeats a key, naming the line', () => {
    const dir = stateRepo();
    cli(dir, ['state', 'set', 'phase=build']);
    const path = '.agentstate/runtime.json';
    writeFileSync(join(dir, path), read(dir, path).replace('"phase": "build"', '"phase": "build",\n    "phase": "test"'));
    const before = bytesOf(dir, path);
    const run = cli(dir, ['state', 'set', 'x=1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/\.agentstate\/runtime\.json:\d+: the record repeats the key "phase"/);
    expect(bytesOf(dir, path).equals(before)).toBe(true);
    expect(cli(dir, ['check']).stdout).toMatch(/runtime\.json:\d+: the record repeats the key "phase"/);
  });
});

describe('CRLF line ends and a byte-order mark', () => {
  /** A repository whose state files were committed before `.gitattributes` said eol=lf. */
  function origin(): string {
    const dir = stateRepo();
    cli(dir, ['log', 'first event']);
    cli(dir, ['catch', 'lint', 'a caught thing', '--notes', 'two\twords']);
    cli(dir, ['decide', 'a decision', '--why', 'because']);
    cli(dir, ['backlog', 'add', 'a task']);
    cli(dir, ['state', 'set', 'phase=build']);
    cli(dir, ['handoff', '--note', 'bye']);
    writeFileSync(join(dir, '.gitattributes'), read(dir, '.gitattributes').replace(/ eol=lf/g, ''));
    git(dir, 'commit', '-qam', 'attributes as an older agentstate wrote them');
    return dir;
  }

  it('a core.autocrlf=true clone: catches, events, check, resume work, with no false finding', () => {
    const source = origin();
    const clone = join(tempDir(), 'clone');
    git(source, 'clone', '-q', '-c', 'core.autocrlf=true', source, clone);
    git(clone, 'config', 'user.name', 'Win User');
    git(clone, 'config', 'user.email', 'win@example.com');
    for (const file of ['.agentstate/catch-log.tsv', '.agentstate/events.yaml', '.agentstate/backlog.yaml', 'AGENTS.md']) expect(read(clone, file), file).toContain('\r\n');
    const catches = cli(clone, ['catches', '--json']);
    expect(catches.code, catches.stderr).toBe(0);
    expect(json<{ catches: Array<{ notes: string }> }>(catches).catches[0]!.notes).toBe('two\twords');
    expect(json<{ events: Array<{ summary: string }> }>(cli(clone, ['events', '--json'])).events.map((event) => event.summary)).toContain('first event');
    const check = cli(clone, ['check']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(cli(clone, ['boot', '--check']).code).toBe(0);
    expect(cli(clone, ['resume']).stdout).toContain('a decision');
    expect(cli(clone, ['backlog', 'add', 'from windows']).code).toBe(0);
    expect(cli(clone, ['catch', 'lint', 'second']).code).toBe(0);
    const check2 = cli(clone, ['check']);
    expect(check2.code, check2.stdout + check2.stderr).toBe(0);
    expect(json<{ catches: unknown[] }>(cli(clone, ['catches', '--json'])).catches).toHaveLength(2);
    // Committed as `git add` would have: LF in the repository, nothing left over in the work tree.
    expect(git(clone, 'show', 'HEAD:.agentstate/catch-log.tsv')).not.toContain('\r');
    expect(git(clone, 'status', '--porcelain')).toBe('');
  });

  it('init upgrades the older .gitattributes lines in place (eol=lf), one line per file', () => {
    const dir = origin();
    expect(cli(dir, ['init']).code).toBe(0);
    const attributes = read(dir, '.gitattributes');
    expect(attributes).toContain('.agentstate/events.yaml merge=agentstate-log eol=lf\n');
    expect(attributes.match(/\.agentstate\/events\.yaml/g)).toHaveLength(1);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('a byte-order mark at the start of each state file changes nothing that is read', () => {
    const dir = origin();
    const files = ['catch-log.tsv', 'events.yaml', 'decisions.yaml', 'backlog.yaml', 'runtime.json', 'config.yaml'].map((name) => `.agentstate/${name}`);
    for (const file of files) writeFileSync(join(dir, file), '\uFEFF' + read(dir, file));
    expect(cli(dir, ['catches']).code).toBe(0);
    expect(cli(dir, ['events']).stdout).toContain('first event');
    expect(cli(dir, ['state', 'get', 'phase']).stdout.trim()).toBe('build');
    expect(cli(dir, ['backlog', 'list']).stdout).toContain('a task');
    const check = cli(dir, ['check']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });
});

describe('terminal escapes in records a clone brought', () => {
  /** ESC (colour, clipboard write), a one-byte C1 CSI, BEL and a right-to-left override. */
  const HOSTILE = 'x\u001b[31mR\u001b]52;c;cHduZWQ=\u0007\u009b31mC\u202eBIDI';
  // eslint-disable-next-line no-control-regex
  const RAW = /[\u001b\u0007\u009b\u202e]/;
  const line = (record: Record<string, unknown>) => `- ${JSON.stringify(record)}\n`;

  /** Records in every state file with the hostile text in each free-text field, as a clone would bring them. */
  function planted(): string {
    const dir = stateRepo();
    const h = (prefix: string) => prefix + HOSTILE;
    const add = (file: string, text: string) => writeFileSync(join(dir, '.agentstate', file), read(dir, `.agentstate/${file}`) + text);
    const at = '2026-01-02T00:00:00.000Z';
    add('events.yaml', line({ id: 'ev-aaaaaaaaa1', at, type: 'note', agent: h('ag'), summary: h('sum'), ref: h('ref'), data: { [h('k')]: h('v') } }));
    add('events.yaml', line({ id: 'ev-aaaaaaaaa2', at, type: 'handoff', agent: h('ag'), summary: h('h'), data: { done: [h('d')], remaining: [h('r')], uncertain: [], note: h('n') } }));
    add('decisions.yaml', line({ id: 'd-aaaaaaaaa1', at, agent: h('ag'), kind: 'decision', title: h('dt'), why: h('w'), action: h('a'), standing: false }));
    add('decisions.yaml', line({ id: 'd-aaaaaaaaa2', at, agent: h('ag'), kind: 'decision', title: h('so'), why: h('w'), standing: true }));
    const task = { status: 'open', priority: 'P1', version: 1, created: at, updated: at };
    add('backlog.yaml', line({ id: 't-aaaaaaaaa1', title: h('ti'), ...task, status: 'active', owner: h('ow'), epic: h('ep'), notes: h('no') }));
    add('backlog.yaml', line({ id: 't-aaaaaaaaa2', title: h('op'), ...task }));
    add('learnings.yaml', line({ id: 'l-aaaaaaaaa1', at, agent: h('ag'), kind: 'learning', text: h('le'), category: 'tip', tags: [h('tg')], refs: [h('rf')] }));
    add('catch-log.tsv', ['ct-aaaaaaaaa1', at, h('co'), h('ca'), h('ag'), h('ou'), h('no')].join('\t') + '\n');
    const runtime = JSON.parse(read(dir, '.agentstate/runtime.json')) as Record<string, unknown>;
    writeFileSync(join(dir, '.agentstate/runtime.json'), JSON.stringify({ ...runtime, updated_by: h('ub'), fields: { [h('key')]: h('val') } }, null, 2));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'records from someone else', '--no-verify');
    return dir;
  }

  it('ids that are not ids (a dependency, an event id) are written out too', () => {
    const dir = stateRepo();
    const at = '2026-01-02T00:00:00.000Z';
    writeFileSync(join(dir, '.agentstate/backlog.yaml'), read(dir, '.agentstate/backlog.yaml') + line({ id: 't-aaaaaaaaa3', title: 'waits', status: 'open', priority: 'P1', version: 1, created: at, updated: at, depends_on: [`t-${HOSTILE}`] }));
    writeFileSync(join(dir, '.agentstate/events.yaml'), read(dir, '.agentstate/events.yaml') + line({ id: `ev-${HOSTILE}`, at, type: 'note', agent: 'a', summary: 'an id that is not one' }));
    for (const args of [['resume'], ['board'], ['check'], ['events'], ['backlog', 'list']]) {
      const run = cli(dir, args);
      expect(run.stdout + run.stderr, args.join(' ')).not.toMatch(RAW);
    }
    expect(cli(dir, ['resume']).stdout).toContain('waits on t-x\\x1b[31mR');
  });

  it('every reading command shows them written out, never raw, in text and in --json', () => {
    const dir = planted();
    const readers = [
      ['events'],
      ['decisions', '--all'],
      ['resume'],
      ['resume', '--format', 'json'],
      ['backlog', 'next'],
      ['backlog', 'list'],
      ['backlog', 'show', 't-aaaaaaaaa1'],
      ['catches'],
      ['search', 'sum'],
      ['search', 'tix'],
      ['board'],
      ['state', 'get'],
      ['learnings'],
    ];
    for (const args of readers) {
      for (const json of [false, true]) {
        const run = cli(dir, json ? [...args, '--json'] : args);
        expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBeLessThan(2);
        expect(run.stdout + run.stderr, `${args.join(' ')}${json ? ' --json' : ''}`).not.toMatch(RAW);
        if (!json) expect(run.stdout, args.join(' ')).toMatch(/\\x1b\[31m|\\u001b\[31m/);
      }
    }
  });
});
