import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, read, stateRepo } from '../helpers/cli.js';
import { cluster, ok, pull, push } from '../helpers/clones.js';

const ourLines = (dir: string) => read(dir, '.gitattributes').split('\n').filter((line) => line.includes('AGENTS.md'));

describe('merge attributes apply to our files only', () => {
  it('a nested pkg/web/AGENTS.md merges as a plain file, with no agentstate block', () => {
    const { alice, bob } = cluster(['alice', 'bob']);
    mkdirSync(join(alice, 'pkg/web'), { recursive: true });
    writeFileSync(join(alice, 'pkg/web/AGENTS.md'), '# web\n\nline one\n\nline two\n\nline three\n');
    git(alice, 'add', 'pkg/web/AGENTS.md');
    git(alice, 'commit', '-qm', 'web agents file');
    push(alice);
    expect(pull(bob).status).toBe(0);
    writeFileSync(join(alice, 'pkg/web/AGENTS.md'), '# web\n\nline ONE\n\nline two\n\nline three\n');
    git(alice, 'commit', '-qam', 'alice edits');
    push(alice);
    writeFileSync(join(bob, 'pkg/web/AGENTS.md'), '# web\n\nline one\n\nline two\n\nline THREE\n');
    git(bob, 'commit', '-qam', 'bob edits');
    const merged = pull(bob);
    expect(merged.status, merged.stderr).toBe(0);
    expect(read(bob, 'pkg/web/AGENTS.md')).toBe('# web\n\nline ONE\n\nline two\n\nline THREE\n');
  });

  it.each([['init'], ['hooks install']])('`%s` upgrades the unanchored AGENTS.md line an older version wrote, in a commit', (command) => {
    const dir = stateRepo();
    expect(ourLines(dir)).toEqual(['/AGENTS.md merge=agentstate-boot']);
    writeFileSync(join(dir, '.gitattributes'), read(dir, '.gitattributes').replace('/AGENTS.md merge=agentstate-boot', 'AGENTS.md merge=agentstate-boot'));
    git(dir, 'commit', '-qam', 'as an older version wrote it');
    ok(dir, ...command.split(' '));
    expect(ourLines(dir)).toEqual(['/AGENTS.md merge=agentstate-boot']);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(git(dir, 'show', 'HEAD:.gitattributes')).toContain('/AGENTS.md merge=agentstate-boot');
  });

  it.each([['init'], ['hooks install']])('`%s` adds the learnings.yaml line (eol=lf) to a .gitattributes written before learnings existed', (command) => {
    const dir = stateRepo();
    const line = '.agentstate/learnings.yaml merge=agentstate-log eol=lf';
    expect(read(dir, '.gitattributes').split('\n')).toContain(line);
    writeFileSync(join(dir, '.gitattributes'), read(dir, '.gitattributes').split('\n').filter((text) => !text.includes('learnings')).join('\n'));
    git(dir, 'commit', '-qam', 'attributes as version 0.1 wrote them');
    ok(dir, ...command.split(' '));
    expect(git(dir, 'show', 'HEAD:.gitattributes').split('\n').filter((text) => text.includes('learnings'))).toEqual([line]);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(git(dir, 'check-attr', 'merge', 'eol', '--', '.agentstate/learnings.yaml')).toBe(
      '.agentstate/learnings.yaml: merge: agentstate-log\n.agentstate/learnings.yaml: eol: lf\n',
    );
  });
});
