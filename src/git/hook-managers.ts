import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { stepCommand, withLefthookSteps, withPreCommitSteps, type HookStep } from '../core/hook-config.js';
import { configuredHooksPath, defaultHooksDir, installScript, type HookResult } from './hooks.js';
import { cleanGitEnv } from './run.js';
import type { Repo } from './repo.js';

/**
 * Which tool owns this clone's git hooks, and how to add our steps its own way. Never rename or
 * overwrite a manager's files: husky gets one line per hook file in its folder, lefthook and the
 * pre-commit framework an entry in their config (inserted as text, the rest of the file kept),
 * then the manager's own `install` so it writes the hook scripts; where an edit is not safe,
 * nothing changes and the snippet is printed.
 */
export type Manager =
  | { kind: 'husky'; dir: string; legacy: boolean }
  | { kind: 'lefthook'; config: string }
  | { kind: 'pre-commit'; config: string }
  | { kind: 'hooks-path'; dir: string }
  | { kind: 'git'; dir: string };

export interface ManagerInstall {
  manager: Manager['kind'];
  hooks: HookResult[];
  /** The manager's own install command we ran, or that the user should run. */
  ran?: string;
  todo?: string;
}

const LEFTHOOK_CONFIGS = ['lefthook.yml', '.lefthook.yml', 'lefthook.yaml', '.lefthook.yaml', '.config/lefthook.yml', '.config/lefthook.yaml'];

export function detectManager(repo: Repo): Manager {
  const hooksPath = configuredHooksPath(repo);
  if (hooksPath) {
    // husky 9: core.hooksPath=.husky/_ (its helper `h` runs .husky/<hook>); husky 4-8: .husky with _/husky.sh.
    if (basename(hooksPath) === '_' && (existsSync(join(hooksPath, 'h')) || existsSync(join(hooksPath, 'husky.sh')))) return { kind: 'husky', dir: dirname(hooksPath), legacy: false };
    if (existsSync(join(hooksPath, '_', 'husky.sh'))) return { kind: 'husky', dir: hooksPath, legacy: true };
  }
  const lefthook = LEFTHOOK_CONFIGS.map((name) => join(repo.root, name)).find((path) => existsSync(path));
  if (lefthook) return { kind: 'lefthook', config: lefthook };
  const preCommit = join(repo.root, '.pre-commit-config.yaml');
  if (existsSync(preCommit)) return { kind: 'pre-commit', config: preCommit };
  if (hooksPath) return { kind: 'hooks-path', dir: hooksPath };
  return { kind: 'git', dir: defaultHooksDir(repo) };
}

export async function installWithManager(repo: Repo, manager: Manager, steps: HookStep[], stateFilesPattern: string): Promise<ManagerInstall> {
  switch (manager.kind) {
    case 'git':
    case 'hooks-path':
      return { manager: manager.kind, hooks: steps.map((step) => installScript(manager.dir, step, manager.kind === 'git')) };
    case 'husky':
      return { manager: 'husky', hooks: steps.map((step) => huskyLine(manager.dir, step, manager.legacy)) };
    case 'lefthook': {
      const edit = await editConfig(manager.config, steps, (text) => withLefthookSteps(text, steps));
      return { manager: 'lefthook', ...edit, ...runInstaller(repo, 'lefthook', ['install']) };
    }
    case 'pre-commit': {
      const edit = await editConfig(manager.config, steps, (text) => withPreCommitSteps(text, steps, stateFilesPattern));
      const types = [...new Set(steps.map((step) => step.hook))].flatMap((hook) => ['--hook-type', hook]);
      return { manager: 'pre-commit', ...edit, ...runInstaller(repo, 'pre-commit', ['install', ...types]) };
    }
  }
}

/** husky runs `.husky/<hook>` with `sh -e`: one line of ours at its end; the user's lines keep running first. */
function huskyLine(dir: string, step: HookStep, legacy: boolean): HookResult {
  const path = join(dir, step.hook);
  const line = stepCommand(step);
  if (!existsSync(path)) {
    const head = legacy ? '#!/usr/bin/env sh\n. "$(dirname -- "$0")/_/husky.sh"\n\n' : '';
    writeFileSync(path, `${head}${line}\n`);
    chmodSync(path, 0o755);
    return { hook: step.hook, path, status: 'installed' };
  }
  const text = readFileSync(path, 'utf8');
  if (text.includes(`agentstate ${step.args}`)) return { hook: step.hook, path, status: 'unchanged' };
  writeFileSync(path, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`);
  return { hook: step.hook, path, status: 'added' };
}

async function editConfig(
  path: string,
  steps: HookStep[],
  edit: (text: string) => Promise<{ text: string; added: HookStep[] } | { unsafe: string }>,
): Promise<{ hooks: HookResult[]; changed: boolean }> {
  const text = readFileSync(path, 'utf8');
  const result = await edit(text);
  if ('unsafe' in result) {
    const reason = `${basename(path)}: ${result.unsafe}; left unchanged, add the step by hand`;
    return { hooks: steps.map((step) => ({ hook: step.hook, path, status: 'manual', snippet: stepCommand(step), reason })), changed: false };
  }
  if (result.text !== text) writeFileSync(path, result.text);
  return { hooks: steps.map((step) => ({ hook: step.hook, path, status: result.added.includes(step) ? 'added' : 'unchanged' })), changed: result.text !== text };
}

/** Run the manager's own installer (the project's node_modules/.bin first, then PATH) so it writes the hook scripts. */
function runInstaller(repo: Repo, tool: string, args: string[]): { ran?: string; todo?: string } {
  const command = `${tool} ${args.join(' ')}`;
  const local = join(repo.root, 'node_modules', '.bin', tool);
  const result = spawnSync(existsSync(local) ? local : tool, args, { cwd: repo.root, env: cleanGitEnv(), encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    const why = result.error ? `${tool} was not found` : (result.stderr || result.stdout).trim().split('\n')[0];
    return { todo: `run \`${command}\` so ${tool} writes the git hooks (${why})` };
  }
  return { ran: existsSync(local) ? `${relative(repo.root, local)} ${args.join(' ')}` : command };
}
