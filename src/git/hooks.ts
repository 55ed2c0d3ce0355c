import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { git } from './run.js';
import type { Repo } from './repo.js';

/**
 * The plain git pre-commit hook that runs `agentstate check --staged`. An existing hook is kept:
 * it is moved aside and chained, so it still runs first and can still stop the commit.
 */
export const HOOK_MARK = '# agentstate pre-commit hook';
export const CHAINED = 'pre-commit.agentstate-chained';

export function hooksDir(repo: Repo): string {
  const configured = git(repo.root, ['config', '--get', 'core.hooksPath']).stdout.trim();
  if (configured) return isAbsolute(configured) ? configured : join(repo.root, configured);
  return join(repo.commonDir, 'hooks');
}

export function hookScript(command: string): string {
  return `#!/bin/sh
${HOOK_MARK}: validates the staged state files. Installed by \`agentstate hooks install\`.
here=$(dirname "$0")
if [ -x "$here/${CHAINED}" ]; then
  "$here/${CHAINED}" "$@" || exit $?
fi
${command} check --staged
`;
}

export interface HookInstall {
  path: string;
  status: 'installed' | 'updated' | 'unchanged';
  chained?: string;
}

export function installPreCommit(repo: Repo, command: string): HookInstall {
  const dir = hooksDir(repo);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'pre-commit');
  const script = hookScript(command);
  let chained: string | undefined;
  let status: HookInstall['status'] = 'installed';
  if (existsSync(path)) {
    const existing = readFileSync(path, 'utf8');
    if (existing === script) return { path, status: 'unchanged' };
    if (existing.includes(HOOK_MARK)) {
      status = 'updated';
    } else {
      chained = join(dir, CHAINED);
      if (existsSync(chained)) throw new Error(`${chained} already exists; move one of the hooks by hand`);
      renameSync(path, chained);
    }
  }
  writeFileSync(path, script);
  chmodSync(path, 0o755);
  return { path, status, ...(chained ? { chained } : {}) };
}
