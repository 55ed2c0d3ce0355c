import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { afterAll } from 'vitest';

export const BIN = resolve(import.meta.dirname, '../../bin/agentstate.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

type Env = Record<string, string | undefined>;

/** The environment a user's shell would give us, colors off, nothing of git's hook variables. */
export function baseEnv(extra: Env = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', AGENTSTATE_AGENT: undefined, AGENTSTATE_SESSION: undefined };
  for (const key of Object.keys(env)) if (key.startsWith('GIT_') || key.startsWith('npm_')) delete env[key];
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Run the built CLI; never throws on a non-zero exit. */
export function cli(cwd: string, args: string[], env: Env = {}, input?: string): Run {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, env: baseEnv(env), encoding: 'utf8', input });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export function cliAsync(cwd: string, args: string[], env: Env = {}): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: baseEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

/** Start the built CLI and keep hold of the process (to stop, continue or kill it). */
export function spawnCli(dir: string, args: string[], env: Env = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: baseEnv(env) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<Run & { signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Wait until a process has stopped itself (SIGSTOP): its state in /proc is T. */
export async function untilStopped(pid: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) return;
    if (Date.now() > deadline) throw new Error(`process ${pid} did not stop`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function sh(cwd: string, command: string, args: string[], env: Env = {}): string {
  const result = spawnSync(command, args, { cwd, env: baseEnv(env), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}${result.stdout}`);
  return result.stdout;
}

export const git = (cwd: string, ...args: string[]) => sh(cwd, 'git', args);

const made: string[] = [];
afterAll(() => {
  if (process.env.AGENTSTATE_KEEP_TMP) return;
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'agentstate-'): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  made.push(dir);
  return dir;
}

/** A temp git repo with a fixed user, signing off, one initial commit unless `empty`. */
export function gitRepo(options: { empty?: boolean } = {}): string {
  const dir = tempDir();
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.name', 'Test User');
  git(dir, 'config', 'user.email', 'test@example.com');
  git(dir, 'config', 'commit.gpgsign', 'false');
  if (!options.empty) {
    writeFileSync(join(dir, 'README.md'), '# project\n');
    git(dir, 'add', 'README.md');
    git(dir, 'commit', '-q', '-m', 'initial');
  }
  return dir;
}

/** A git repo with agentstate initialised. */
export function stateRepo(options: { empty?: boolean } = {}): string {
  const dir = gitRepo(options);
  const init = cli(dir, ['init']);
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
  return dir;
}

export const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');
export const commitCount = (dir: string) => Number(git(dir, 'rev-list', '--count', 'HEAD').trim());

/** Files changed by a commit. */
export const filesOf = (dir: string, rev = 'HEAD') =>
  git(dir, 'show', '--name-only', '--format=', rev).trim().split('\n').filter(Boolean).sort();

/**
 * An independent YAML parser (js-yaml, not the `yaml` package agentstate itself uses): parse a
 * file as any reader would, return plain data.
 */
export function readYaml(path: string): unknown {
  return loadYaml(readFileSync(path, 'utf8'));
}

export function json<T = Record<string, unknown>>(run: Run): T {
  return JSON.parse(run.stdout) as T;
}
