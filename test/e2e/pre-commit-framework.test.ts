import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseEnv, cli, git, read, stateRepo, tempDir } from '../helpers/cli.js';
import { commit, expectHooksWork, hooksInstall, recordingPath, USER_HOOK } from '../helpers/hook-flow.js';

/**
 * The pre-commit framework (Debian's `pre-commit` package; `.ci/run` installs it). Without it
 * this file is not collected and vitest.config.ts prints a notice, in CI it is required.
 */
describe('hooks install with the pre-commit framework', () => {
  it('a local hook entry appended to .pre-commit-config.yaml, its install run; the user hook still blocks', () => {
    const dir = stateRepo();
    expect(cli(dir, ['log', 'first']).code).toBe(0);
    const original = [
      '# checks the team runs',
      'repos:',
      '  - repo: local',
      '    hooks:',
      '      - id: guard',
      '        name: guard',
      '        entry: sh',
      `        args: ['-c', '${USER_HOOK}']`,
      '        language: system',
      '        pass_filenames: false',
      '        always_run: true',
      '',
    ].join('\n');
    writeFileSync(join(dir, '.pre-commit-config.yaml'), original);
    const env = { ...recordingPath(), PRE_COMMIT_HOME: tempDir('pre-commit-home-') };
    const setup = spawnSync('pre-commit', ['install'], { cwd: dir, env: baseEnv(env), encoding: 'utf8' });
    expect(setup.status, setup.stderr + setup.stdout).toBe(0);

    const install = hooksInstall(dir, env);
    expect(install.manager).toBe('pre-commit');
    expect(install.hooks.map((hook) => hook.status)).toEqual(['added', 'added', 'added']);
    expect(install.ran).toBe('pre-commit install --hook-type pre-commit --hook-type post-merge --hook-type post-rewrite');
    const config = read(dir, '.pre-commit-config.yaml');
    expect(config.startsWith(original)).toBe(true);
    expect(config).toMatch(/^ {2}- repo: local\n {4}hooks:\n {6}- id: agentstate-check\n/m);
    expect(config).toMatch(/^ {8}stages: \[post-merge, post-rewrite\]$/m);
    hooksInstall(dir, env);
    expect(read(dir, '.pre-commit-config.yaml')).toBe(config);
    git(dir, 'add', '.pre-commit-config.yaml');
    const committed = commit(dir, env, 'pre-commit config');
    expect(committed.code, committed.out).toBe(0);

    expectHooksWork(dir, env);
  });
});
