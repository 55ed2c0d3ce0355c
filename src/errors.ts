import { relative } from 'node:path';

/** Exit codes of SPEC section 3. */
export const Exit = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  busy: 5,
} as const;
export type ExitCode = (typeof Exit)[keyof typeof Exit];

const BRAND = Symbol.for('agentstate.error');

/**
 * An expected failure: carries its exit code and a hint saying what to do next.
 * Only the CLI edge turns it into words on stderr; anything else that is thrown is a bug.
 * `instanceof` goes by a brand, not by the class: a command bundled in a chunk of its own
 * (dist/setup.cjs, dist/mcp.cjs) throws its own copy of this class.
 */
export class AgentstateError extends Error {
  readonly [BRAND] = true;

  constructor(
    readonly exitCode: ExitCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'AgentstateError';
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // A subclass keeps the ordinary prototype check.
    if (this !== AgentstateError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

export const usageError = (message: string, hint?: string) => new AgentstateError(Exit.usage, message, hint);
export const notFoundError = (message: string, hint?: string) => new AgentstateError(Exit.notFound, message, hint);
export const conflictError = (message: string, hint?: string) => new AgentstateError(Exit.conflict, message, hint);
export const busyError = (message: string, hint?: string) => new AgentstateError(Exit.busy, message, hint);
export const failure = (message: string, hint?: string) => new AgentstateError(Exit.failure, message, hint);

/** A state file that cannot be read: never overwrite it, point to doctor (SPEC 4.9). */
export const unreadableError = (file: string, line: number | undefined, what: string) =>
  new AgentstateError(
    Exit.failure,
    `${file}${line ? `:${line}` : ''}: ${what}`,
    'the file was left as it is; run `agentstate doctor` to see the damage and `agentstate doctor --repair` to fix it',
  );

export const notInitialisedError = (dir: string) =>
  new AgentstateError(Exit.notFound, `no agentstate directory at ${dir}`, 'run `agentstate init` first');

/** A sparse checkout left the state folder out: a write would commit the removal of every state file. */
export const sparseCheckoutError = (stateDir: string) =>
  new AgentstateError(
    Exit.failure,
    `${stateDir}/ is left out of this sparse checkout; writing here would record the removal of every state file`,
    `nothing was written; add it to the checkout (\`git sparse-checkout add ${stateDir}\`) and retry`,
  );

/** What the system said, in words, and what to do about it. */
const ERRNO: Record<string, [string, string]> = {
  ENOSPC: ['no space left on the device', 'free some disk space and run the command again'],
  EDQUOT: ['the disk quota is used up', 'free some space or raise the quota, then run the command again'],
  EACCES: ['permission denied', 'check the owner and permissions of that path (ls -l); run agentstate as the user who owns the repository'],
  EPERM: ['operation not permitted', 'check the owner and permissions of that path (ls -l); run agentstate as the user who owns the repository'],
  EROFS: ['the file system is read-only', 'run agentstate where the repository can be written'],
  ENOENT: ['no such file or directory', 'check the path; `agentstate doctor` checks the state directory'],
  ENOTDIR: ['a part of the path is a file, not a directory', 'move that file aside; `agentstate doctor` checks the state directory'],
  EISDIR: ['a directory is where a file should be', 'move that directory aside; `agentstate doctor` checks the state directory'],
  EEXIST: ['something else is already at that path', 'move it aside; `agentstate doctor` checks the state directory'],
  EMFILE: ['too many open files', 'close other programs or raise the limit (ulimit -n), then run the command again'],
  ENFILE: ['too many open files on the system', 'close other programs, then run the command again'],
  EIO: ['the device reported an input/output error', 'check the disk; the state files were not changed by a command that failed'],
  ENAMETOOLONG: ['the path is too long', 'use a shorter path'],
  ELOOP: ['too many symbolic links', 'resolve the symbolic links on that path'],
};

/** A failure of the file system, not of agentstate: one line naming the file, the cause and what to do (exit 1). */
export function errnoError(error: unknown): AgentstateError | undefined {
  const errno = error as NodeJS.ErrnoException;
  const known = errno && typeof errno.code === 'string' ? ERRNO[errno.code] : undefined;
  if (!known) return undefined;
  const path = errno.path ? relative(process.cwd(), errno.path) || '.' : undefined;
  const verb = errno.syscall ? `${errno.syscall} ` : '';
  return new AgentstateError(Exit.failure, `${verb}${path ?? ''}${path ? ': ' : ''}${known[0]} (${errno.code})`, known[1]);
}
