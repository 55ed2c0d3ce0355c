import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface GitResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Variables git exports to hooks and aliases that point at a repository, an index or a work
 * tree. Inherited by our own git calls they would commit into the user's commit in progress, so
 * they never leak into them.
 */
const LOCATION_VARIABLES = [
  'GIT_INDEX_FILE',
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_PREFIX',
  'GIT_COMMON_DIR',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_NAMESPACE',
  'GIT_QUARANTINE_PATH',
  'GIT_REFLOG_ACTION',
  'GIT_EDITOR',
];

/** True when we run inside a git hook that holds the index (pre-commit and friends). */
export const insideGitHook = (env: NodeJS.ProcessEnv = process.env): boolean => env.GIT_INDEX_FILE !== undefined;

export function cleanGitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of LOCATION_VARIABLES) delete env[name];
  env.GIT_TERMINAL_PROMPT = '0';
  env.LC_ALL = 'C';
  return env;
}

/** Run git directly (no wrapper: a wrapper costs latency on the hot path). Never throws on exit. */
export function git(
  cwd: string,
  args: string[],
  options: { env?: Record<string, string>; input?: string | Buffer; noPrompt?: boolean; timeoutMs?: number } = {},
): GitResult {
  const env = cleanGitEnv(options.env);
  // No terminal and no display to prompt on (a signing passphrase): fail instead of waiting.
  if (options.noPrompt) for (const name of ['GPG_TTY', 'DISPLAY', 'WAYLAND_DISPLAY', 'SSH_ASKPASS']) delete env[name];
  const setsid = options.noPrompt && existsSync('/usr/bin/setsid');
  const result = spawnSync(setsid ? '/usr/bin/setsid' : 'git', setsid ? ['-w', 'git', ...args] : args, {
    cwd,
    env,
    input: options.input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
    // A reader with a deadline (resume) must not hang on a stuck git: killed, not asked.
    ...(options.timeoutMs !== undefined ? { timeout: Math.max(1, Math.floor(options.timeoutMs)), killSignal: 'SIGKILL' as const } : {}),
  });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') {
    return { status: 124, stdout: '', stderr: `git ${args[0] ?? ''} did not answer within ${options.timeoutMs} ms` };
  }
  if (result.error) {
    return { status: 127, stdout: '', stderr: `git could not be run: ${result.error.message}` };
  }
  return { status: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/** Like git(), but the stdout as a Buffer (for blobs that must be byte-exact). */
export function gitBytes(cwd: string, args: string[], input?: string | Buffer): { status: number; stdout: Buffer; stderr: string } {
  const result = spawnSync('git', args, { cwd, env: cleanGitEnv(), input, maxBuffer: 1024 * 1024 * 1024 });
  return {
    status: result.status ?? 1,
    stdout: result.stdout ?? Buffer.alloc(0),
    stderr: result.stderr?.toString() ?? '',
  };
}
