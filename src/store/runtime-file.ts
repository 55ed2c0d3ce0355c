import { existsSync, readFileSync } from 'node:fs';
import { upgradeRuntime } from '../core/migrations.js';
import { runtimeSchema, SCHEMA_VERSION, type Runtime } from '../core/schemas.js';
import { unreadableError } from '../errors.js';
import { FILES } from './layout.js';
import type { StateContext } from './context.js';
import type { Transaction } from './transaction.js';

export const emptyRuntime = (): Runtime => ({ schema: SCHEMA_VERSION, version: 0, fields: {} });

export function readRuntime(context: StateContext): Runtime {
  const path = context.path(FILES.runtime);
  if (!existsSync(path)) return emptyRuntime();
  const display = context.display(path);
  const text = readFileSync(path, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    const line = position ? text.slice(0, Number(position)).split('\n').length : undefined;
    throw unreadableError(display, line, 'not valid JSON');
  }
  const parsed = runtimeSchema.safeParse(value && typeof value === 'object' ? upgradeRuntime(value as Record<string, unknown>) : value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw unreadableError(display, undefined, `${issue?.path.join('.') || 'runtime'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export function runtimeText(runtime: Runtime): string {
  return JSON.stringify(runtime, null, 2) + '\n';
}

export function writeRuntime(tx: Transaction, runtime: Runtime): void {
  const path = tx.context.path(FILES.runtime);
  const text = runtimeText(runtime);
  tx.replace(path, text, { kind: 'runtime', file: path, id: 'runtime', line: text, version: runtime.version });
}
