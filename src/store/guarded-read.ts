import { existsSync, statSync } from 'node:fs';
import { AgentstateError, notInitialisedError } from '../errors.js';
import { openContext, type GlobalOptions, type StateContext } from './context.js';
import { FILES } from './layout.js';
import type { Warning } from './warnings.js';

/**
 * Reading for a briefing that must never block a session (resume, boot --check): each part is
 * read on its own, so a damaged file, a missing one or a failing git costs that part only and
 * becomes a warning. Past the deadline the parts that are not essential (events, checks, git)
 * are skipped and the briefing says so; the essential ones (decisions, tasks, the handoff, the
 * runtime state: small local files, never a FIFO) are always read, so even a start-up that ate
 * the whole limit on a loaded machine prints what a session most needs.
 * A file that is not a regular file (a FIFO would block the read forever) is refused unread.
 * With `strict` (the AGENTS.md block about to be written) the first failure is thrown instead:
 * a block is never written from part of the state.
 */
export class GuardedReader {
  readonly warnings: Warning[] = [];
  readonly missing: string[] = [];
  timedOut = false;

  constructor(
    readonly context: StateContext,
    readonly deadline = Infinity,
    readonly strict = false,
  ) {}

  /** Milliseconds left before the deadline (0 when past it). */
  readonly timeLeft = (): number => Math.max(0, this.deadline - Date.now());

  warn(message: string, gates = true): void {
    if (!this.warnings.some((warning) => warning.message === message)) this.warnings.push({ message, gates });
  }

  /**
   * A state file missing from the work tree reads as empty; name its part as not shown, so a lost
   * file never passes for a quiet project ("Open decisions: none").
   */
  noteMissingFiles(): void {
    for (const [file, part] of BRIEFING_FILES) if (!existsSync(this.context.path(file))) this.miss(`${part} (${file} is missing)`);
  }

  private miss(name: string): void {
    if (!this.missing.includes(name)) this.missing.push(name);
  }

  /** Read one part of the briefing; `fallback` when it cannot be read, or when time is up. */
  async part<T>(name: string, files: string[], fallback: T, read: () => T | Promise<T>, { essential = false } = {}): Promise<T> {
    if (!this.strict && !essential && this.timeLeft() <= 0) {
      this.timedOut = true;
      this.miss(name);
      return fallback;
    }
    try {
      for (const file of files) refuseIrregular(this.context, file);
      return await read();
    } catch (error) {
      if (this.strict) throw error;
      this.miss(name);
      this.warn(`${name} not shown: ${describe(error)}`);
      return fallback;
    }
  }
}

/** The state files the briefing shows, with the part each one is. */
const BRIEFING_FILES: Array<[string, string]> = [
  [FILES.decisions, 'decisions'],
  [FILES.backlog, 'tasks'],
  [FILES.runtime, 'runtime state'],
  [FILES.events, 'recent events'],
];

function refuseIrregular(context: StateContext, file: string): void {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    return; // absent: the reader decides what a missing file means
  }
  if (!stat.isFile()) throw new AgentstateError(1, `${context.display(file)} is not a regular file`, 'run `agentstate doctor`');
}

function describe(error: unknown): string {
  if (error instanceof AgentstateError) return error.message;
  const errno = error as NodeJS.ErrnoException;
  if (errno?.code) return `${errno.code}${errno.path ? ` on ${errno.path}` : ''} (${errno.message.split(',')[0]})`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * The time limit counts from when the command starts reading. Starting Node is bounded and touches
 * no state (about 125 ms); on a loaded machine it can take seconds, and counting it would leave a
 * briefing with nothing read.
 */
export function deadlineOf(timeoutMs: number): number {
  return Date.now() + timeoutMs;
}

/**
 * The context for a reader that must print what it can: a damaged config.yaml means the default
 * settings (said), a missing one too, as long as the state directory is there.
 */
export async function openBriefingContext(globals: GlobalOptions): Promise<StateContext> {
  const context = await openContext(globals, { requireInit: false, tolerateConfig: true });
  if (!existsSync(context.stateDir)) throw notInitialisedError(context.stateDir);
  if (!context.initialised) context.warn(`${context.display(context.path(FILES.config))} is missing; using the default settings (\`agentstate init\` puts it back)`);
  // A missing log reads as an empty one: say so, or a lost file would look like a quiet project.
  for (const file of [FILES.events, FILES.decisions, FILES.backlog, FILES.runtime, FILES.catches]) {
    if (!existsSync(context.path(file))) context.warn(`${context.display(context.path(file))} is missing (\`agentstate init\` recreates it empty; \`agentstate restore ${file}\` brings it back from git)`);
  }
  return context;
}
