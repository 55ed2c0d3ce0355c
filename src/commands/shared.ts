import { readFileSync } from 'node:fs';
import type { ZodType } from 'zod';
import { findOversized, findSecret } from '../core/guards.js';
import { describeIssue } from '../core/schemas.js';
import type { CommandOutput } from '../command.js';
import { newId } from '../core/ids.js';
import { exactValue } from '../core/text.js';
import { usageError } from '../errors.js';
import type { StateContext } from '../store/context.js';
import { inFuture } from '../core/merge-runtime.js';

/** Validate a record before a byte is written (SPEC 4.8, 4.10, 4.11): exit 2 naming the field. */
export function validated<T>(context: StateContext, schema: ZodType<T>, record: unknown, oversizeHint?: string): T {
  const parsed = schema.safeParse(record);
  if (!parsed.success) throw usageError(`invalid input: ${describeIssue(parsed.error)}`, 'nothing was written; fix the value and retry');
  guard(context, parsed.data, oversizeHint);
  // Written over the secret guard on purpose: mark it, so that `check` does not flag it forever.
  if (context.options.allowSecret && findSecret(parsed.data)) return { ...parsed.data, allow_secret: true };
  return parsed.data;
}

/** `oversizeHint`: what to do with a long text, for a command that takes no --attach. */
export function guard(context: StateContext, value: unknown, oversizeHint?: string): void {
  if (!context.options.allowSecret) {
    const secret = findSecret(value);
    if (secret) {
      throw usageError(
        `refused: ${secret.field} looks like a secret (${secret.rule}); git history is forever`,
        'nothing was written; remove the secret, or pass --allow-secret if it is not one',
      );
    }
  }
  const big = findOversized(value, context.config.limits.field_bytes);
  if (big) {
    throw usageError(
      `refused: ${big.field} is ${big.bytes} bytes, over the ${context.config.limits.field_bytes}-byte limit`,
      oversizeHint ?? 'nothing was written; put the text in a file and pass --attach FILE (stored under .agentstate/blobs/)',
    );
  }
}

/** `k=v` pairs; a value that is exactly JSON is stored as JSON, anything else as the text typed. */
export function parseKeyValues(pairs: string[], what: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw usageError(`${what}: "${pair}" is not key=value`, `write it as ${what === '--data' ? '--data key=value' : 'key=value'}`);
    out[pair.slice(0, at)] = exactValue(pair.slice(at + 1));
  }
  return out;
}

/**
 * `-` stands for standard input (`git log -1 | agentstate log -`); trailing newlines are not part
 * of the text. Only on the command line (`fromCli`): the MCP server's stdin is its protocol stream.
 */
export function textOrStdin(value: string | undefined, fromCli: boolean): string | undefined {
  if (value !== '-' || !fromCli) return value;
  let text: string;
  try {
    text = readFileSync(0, 'utf8');
  } catch (error) {
    // No stdin at all (closed, or a terminal that was never written to): nothing was given.
    if ((error as NodeJS.ErrnoException).code === 'EAGAIN' || (error as NodeJS.ErrnoException).code === 'EOF') text = '';
    else throw error;
  }
  return text.replace(/\r?\n+$/, '');
}

/** A text the record cannot do without: empty or blank is refused before anything is written. */
export function requireText(value: string | undefined, what: string): string {
  if (value === undefined || value.trim() === '') throw usageError(`${what} must not be empty`, 'nothing was written; say what it is in a few words');
  return value;
}

const UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

/** A time filter: ISO 8601, or an age such as 30m, 2h, 7d. Returns epoch ms. */
export function parseWhen(text: string, option: string, now = Date.now()): number {
  const age = /^(\d+)([smhdw])$/.exec(text.trim());
  if (age) return now - Number(age[1]) * (UNITS[age[2] as string] as number);
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw usageError(`${option}: "${text}" is not a time`, 'use an ISO time (2026-03-05T14:00Z) or an age (30m, 2h, 7d)');
  return at;
}

export function parseCount(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw usageError(`${option}: "${text}" is not a whole number`);
  return Number(text);
}

export const nowIso = () => new Date().toISOString();

/** Human age of an ISO time: 5s, 3m, 2h, 4d. */
export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '?';
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return '?';
  if (inFuture(iso, now)) return 'future';
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** The line shown after a mutation about where the change went in git. */
export function commitNote(commit: { status: string; sha?: string }): string {
  if (commit.status === 'committed' && commit.sha) return ` (commit ${commit.sha.slice(0, 7)})`;
  return '';
}

export interface QueryOptions {
  since?: string;
  until?: string;
  grep?: string;
  limit?: string;
}

/** The filters every query command shares: a time window, a text, the last N. Newest last. */
export function query<T>(items: T[], options: QueryOptions, fields: { at: (item: T) => string; text: (item: T) => string }, keep: (item: T) => boolean): T[] {
  const since = options.since ? parseWhen(options.since, '--since') : -Infinity;
  const until = options.until ? parseWhen(options.until, '--until') : Infinity;
  const limit = parseCount(options.limit, '--limit');
  const needle = options.grep?.toLowerCase();
  const kept = items.filter((item) => {
    const at = Date.parse(fields.at(item));
    return at >= since && at <= until && keep(item) && (!needle || fields.text(item).toLowerCase().includes(needle));
  });
  return limit === undefined ? kept : limit === 0 ? [] : kept.slice(-limit);
}

/** The output of a command that appended a record, or found it already there by its --once key. */
export function appended(
  context: StateContext,
  result: { id: string; existing: boolean },
  record: { kind: string; value: object },
  commit: unknown,
  once: string | undefined,
): CommandOutput {
  return {
    data: { ...result, ...(result.existing ? {} : { [record.kind]: record.value }), commit, warnings: context.warnings },
    quiet: result.id,
    warnings: context.warnings,
    notes: result.existing ? [`already recorded with --once ${once}; nothing written`] : [],
    human: () => result.id,
  };
}

/** The decision a closing record (outcome, revoke) is about, by unique id prefix; exit 3 when unknown. */
export { decisionToClose } from '../store/decisions-file.js';

/** The fields every closing record carries. */
export function closingRecord(context: StateContext, kind: 'outcome' | 'revoke', decision: string, once: string | undefined) {
  return {
    id: newId('decision'),
    at: nowIso(),
    kind,
    decision,
    agent: context.agent(),
    ...(context.session() ? { session: context.session() } : {}),
    ...(once ? { once } : {}),
  };
}
