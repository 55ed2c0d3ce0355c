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
