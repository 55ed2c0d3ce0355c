import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, baseEnv, cli, json, stateRepo, tempDir } from '../helpers/cli.js';

const README = resolve(import.meta.dirname, '../../README.md');

/** The first ```sh block of a README section, as written. */
function shellBlock(section: string): string {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf(`## ${section}\n`);
  expect(start, section).toBeGreaterThanOrEqual(0);
  const block = /```sh\n([\s\S]*?)```/.exec(text.slice(start))?.[1];
  expect(block, section).toBeDefined();
  return block!;
}

describe('README: the write-ahead workflow', () => {
  it('runs as written in a fresh repository and leaves the trail it describes', () => {
    const dir = stateRepo();
    const bin = tempDir('bin-');
    writeFileSync(join(bin, 'agentstate'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(bin, 'agentstate'), 0o755);
    const env = baseEnv({ PATH: `${bin}:${process.env.PATH}` });
    const run = spawnSync('sh', ['-e', '-c', shellBlock('The write-ahead workflow')], { cwd: dir, env, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    // Step 4 saw the work before the outcome was recorded: the decision looked done.
    expect(run.stdout).toContain('looks done — verify and record the outcome');
    const decisions = json<{ decisions: Array<{ status: string }> }>(cli(dir, ['decisions', '--all', '--json'])).decisions;
    expect(decisions.map((decision) => decision.status)).toEqual(['done']);
    const learned = json<{ learnings: Array<{ tags: string[] }> }>(cli(dir, ['learnings', '--json'])).learnings;
    expect(learned.map((lesson) => lesson.tags)).toEqual([['db']]);
    expect(cli(dir, ['resume', '--check']).code).toBe(0);
    expect(cli(dir, ['check']).code).toBe(0);
  });
});
