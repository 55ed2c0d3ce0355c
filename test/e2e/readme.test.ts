import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, baseEnv, cli, git, json, tempDir } from '../helpers/cli.js';

/**
 * The README is executable: every shell block marked `<!-- readme-test … -->` on the line before
 * its fence runs, in order, as written, in one bash with `set -euo pipefail`, in a temporary
 * directory holding a git repository named `your-project`, with the built CLI on PATH as
 * `agentstate`. Unmarked blocks (other sections, examples that need a remote) are not run.
 */
const MARKER = /^<!-- readme-test\b.*-->\s*$/;

function markedBlocks(markdown: string): string[] {
  const lines = markdown.split('\n');
  const blocks: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!MARKER.test(lines[i]!) || !/^```(sh|bash)\s*$/.test(lines[i + 1] ?? '')) continue;
    const end = lines.findIndex((line, at) => at > i + 1 && /^```\s*$/.test(line));
    blocks.push(lines.slice(i + 2, end).join('\n'));
    i = end;
  }
  return blocks;
}

describe('the README runs as written', () => {
  it('the Quick start and the write-ahead workflow, in a fresh repository', () => {
    const blocks = markedBlocks(readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8'));
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    expect(blocks.join('\n')).toContain('agentstate init');
    expect(blocks.join('\n')).toContain('backlog next --claim');

    const home = tempDir();
    const project = join(home, 'your-project');
    mkdirSync(project);
    git(project, 'init', '-q', '-b', 'main');
    git(project, 'config', 'user.name', 'Readme Reader');
    git(project, 'config', 'user.email', 'reader@example.com');
    git(project, 'config', 'commit.gpgsign', 'false');
    git(project, 'commit', '-q', '--allow-empty', '-m', 'initial');
    const bin = join(home, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'agentstate'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(bin, 'agentstate'), 0o755);
    writeFileSync(join(home, 'readme.sh'), `set -euo pipefail\n${blocks.join('\n')}\n`);

    const run = spawnSync('bash', ['readme.sh'], { cwd: home, env: baseEnv({ PATH: `${bin}:${process.env.PATH}` }), encoding: 'utf8' });
    expect(run.status, `${run.stderr}\n${run.stdout}`).toBe(0);
    // Step 4 of the workflow saw the work before the outcome was recorded: its decision looked done.
    expect(run.stdout).toContain('looks done — verify and record the outcome');
    expect(json<{ learnings: Array<{ tags: string[] }> }>(cli(project, ['learnings', '--json'])).learnings.map((lesson) => lesson.tags)).toEqual([['db']]);

    // What the workflow promised: the decisions closed, the task done, a handoff, nothing left open.
    const decisions = json<{ decisions: Array<{ status: string }> }>(cli(project, ['decisions', '--all', '--json'])).decisions;
    expect(decisions.map((decision) => decision.status)).toEqual(['done', 'done']);
    expect(json<{ tasks: Array<{ status: string }> }>(cli(project, ['backlog', 'list', '--all', '--json'])).tasks.map((task) => task.status)).toEqual(['done']);
    expect(cli(project, ['resume']).stdout).toContain('drop the old column next week');
    const check = cli(project, ['resume', '--check']);
    expect(check.code, check.stderr).toBe(0);
    expect(git(project, 'status', '--porcelain')).toBe('');
  });

  it('the two-machine walk-through, as written: the laptop loses the task to the server (exit 4), says so at boot, and both end with every record', () => {
    const markdown = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
    const section = markdown.slice(markdown.indexOf('### Two machines, one state: a walk-through'));
    const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
    const home = tempDir();
    const bin = join(home, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'agentstate'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(bin, 'agentstate'), 0o755);
    writeFileSync(join(home, 'walk.sh'), `set -euo pipefail\n${block}`);
    const run = spawnSync('bash', ['walk.sh'], { cwd: home, env: baseEnv({ PATH: `${bin}:${process.env.PATH}`, TMPDIR: home }), encoding: 'utf8' });
    expect(run.status, `${run.stderr}\n${run.stdout}`).toBe(0);
    expect(run.stdout).toContain('exit 4');
    expect(run.stderr).toMatch(/you lost task t-\S+ to server \(an earlier claim on another clone\); stop working on it/);
    expect(run.stdout).toMatch(/you lost task t-\S+ to server/); // resume's line, through grep
    expect(run.stdout).toMatch(/P1\s+active\s+t-\S+\s+Write the sync docs\s+server/);
    expect(run.stdout).toMatch(/P2\s+active\s+t-\S+\s+Review the sync docs\s+laptop/);
  });
});
