import { spawnSync } from 'node:child_process';
import { defineConfig } from 'vitest/config';

/**
 * Tests that need a tool beyond Node and git: GNU make (a stated prerequisite) and the pre-commit
 * framework (Debian's `pre-commit`). Where one is missing, its file is not collected and a notice
 * says so at the top of the run, never a silently skipped test; in CI (`.ci/run` installs both)
 * a missing tool fails the run.
 */
const NEEDS: Array<{ file: string; tool: string; install: string }> = [
  { file: 'test/e2e/pipeline.test.ts', tool: 'make', install: 'apt-get install make' },
  { file: 'test/e2e/pre-commit-framework.test.ts', tool: 'pre-commit', install: 'apt-get install pre-commit (or pipx install pre-commit)' },
];
const missing = NEEDS.filter(({ tool }) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0);
for (const { file, tool, install } of missing) {
  const line = `NOTICE: ${tool} is not installed, so ${file} does not run (${install})`;
  if (process.env.CI) throw new Error(`${line}; CI must run it: .ci/run installs ${tool}`);
  console.warn(`\n${'!'.repeat(line.length)}\n${line}\n${'!'.repeat(line.length)}\n`);
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...missing.map(({ file }) => file)],
    setupFiles: ['test/helpers/setup-path.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
