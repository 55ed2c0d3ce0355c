import type { CommandRun } from '../command.js';
import { getPath, matchesType, parseKey, setPath, typeOf, unsetPath } from '../core/dotted.js';
import type { Runtime } from '../core/schemas.js';
import { conflictError, notFoundError, usageError } from '../errors.js';
import { openContext, type StateContext } from '../store/context.js';
import { readRuntime, writeRuntime } from '../store/runtime-file.js';
import { mutate } from '../store/mutate.js';
import type { Transaction } from '../store/transaction.js';
import { exactValue, jsonText, visible } from '../core/text.js';
import { guard, nowIso, parseCount } from './shared.js';

/** `agentstate state get|set|unset`: runtime state, read-modify-write under the lock, versioned. */
export interface StateOptions {
  expectVersion?: string;
}

function segmentsOf(key: string): string[] {
  const parsed = parseKey(key);
  if ('problem' in parsed) throw usageError(parsed.problem);
  return parsed.segments;
}

/** Write the runtime state with version +1, checking --expect-version under the lock. */
function writeNext(tx: Transaction, current: Runtime, expected: number | undefined, fields: Record<string, unknown>, extra: Partial<Runtime> = {}): Runtime {
  if (expected !== undefined && current.version !== expected) {
    throw conflictError(`runtime state is at version ${current.version}, not ${expected}`, 'nothing was written; re-read it with `agentstate state get --json` and retry');
  }
  const now = nowIso();
  const next: Runtime = { ...current, version: current.version + 1, updated_at: now, updated_by: tx.context.agent(), fields, ...extra };
  writeRuntime(tx, next);
  return next;
}

function checkTypes(context: StateContext, assignments: Array<[string, unknown]>): void {
  for (const [key, value] of assignments) {
    const declared = context.config.runtime.types[key];
    if (declared && !matchesType(value, declared)) {
      throw usageError(`${key}: must be ${declared} (config runtime.types), got ${typeOf(value)}`, 'nothing was written');
    }
  }
}

export const get: CommandRun = async ({ args, globals }) => {
  const context = await openContext(globals);
  const runtime = readRuntime(context);
  const [key] = args;
  if (!key) {
    return {
      data: { ...runtime },
      quiet: JSON.stringify(runtime.fields),
      human: () =>
        visible(`version ${runtime.version}, updated ${runtime.updated_at ?? 'never'}${runtime.updated_by ? ` by ${runtime.updated_by}` : ''}, heartbeat ${runtime.heartbeat_at ?? 'never'}`) +
        '\n' +
        (Object.keys(runtime.fields).length ? jsonText(runtime.fields, 2) : '(no fields)'),
    };
  }
  const found = getPath(runtime.fields, segmentsOf(key));
  if (!found.found) throw notFoundError(`no runtime field ${key}`, 'list them with `agentstate state get`');
  const text = typeof found.value === 'string' ? found.value : JSON.stringify(found.value);
  // People see hidden characters written out; -q gives the value exactly.
  return { data: { key, value: found.value, version: runtime.version }, quiet: text, human: () => visible(text) };
};

export const set: CommandRun<StateOptions> = async ({ args, options, globals }) => {
  const expected = parseCount(options.expectVersion, '--expect-version');
  const pairs = args.map((pair): [string, string] => {
    const at = pair.indexOf('=');
    if (at <= 0) throw usageError(`"${pair}" is not key=value`, 'write it as: agentstate state set phase=build attempts=3');
    return [pair.slice(0, at), pair.slice(at + 1)];
  });
  if (pairs.length === 0) throw usageError('state set needs at least one key=value');
  const context = await openContext(globals);
  // Exactly what was typed: JSON only when the text is exactly JSON; a field declared a string takes the text as is.
  const assignments = pairs.map(([key, text]): [string, unknown] => [key, context.config.runtime.types[key] === 'string' ? text : exactValue(text)]);
  for (const [key] of assignments) segmentsOf(key);
  checkTypes(context, assignments);
  guard(context, Object.fromEntries(assignments));
  const { result, commit } = await mutate(context, 'state set', (tx) => {
    const current = readRuntime(context);
    const fields = assignments.reduce((tree, [key, value]) => setPath(tree, segmentsOf(key), value), current.fields);
    tx.describe(assignments.map(([key]) => key).join(', '));
    return writeNext(tx, current, expected, fields);
  });
  return { data: { version: result.version, fields: result.fields, commit, warnings: context.warnings }, warnings: context.warnings, quiet: String(result.version), human: () => `runtime state version ${result.version}` };
};

export const unset: CommandRun<StateOptions> = async ({ args, options, globals }) => {
  const expected = parseCount(options.expectVersion, '--expect-version');
  const context = await openContext(globals);
  const keys = args.map((key) => [key, segmentsOf(key)] as const);
  const { result, commit } = await mutate(context, 'state unset', (tx) => {
    const current = readRuntime(context);
    for (const [key, segments] of keys) {
      if (!getPath(current.fields, segments).found) throw notFoundError(`no runtime field ${key}`, 'nothing was written');
    }
    const fields = keys.reduce((tree, [, segments]) => unsetPath(tree, segments), current.fields);
    tx.describe(`unset ${keys.map(([key]) => key).join(', ')}`);
    return writeNext(tx, current, expected, fields);
  });
  return { data: { version: result.version, fields: result.fields, commit, warnings: context.warnings }, warnings: context.warnings, quiet: String(result.version), human: () => `runtime state version ${result.version}` };
};
