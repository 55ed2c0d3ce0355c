import { closeSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { compareVersions, declaredSchema } from '../core/skew.js';
import { SCHEMA_VERSION } from '../core/schemas.js';
import { AgentstateError, Exit } from '../errors.js';
import { packageVersion } from '../package-root.js';
import { FILES } from './layout.js';
import type { StateContext } from './context.js';

/**
 * The guard every write passes (called before the first write to each path of a transaction):
 * a clone running an older agentstate refuses to write a state file whose schema is newer than
 * it knows, and refuses every write when config.yaml's `min_writer` (recorded by `migrate`)
 * names a newer agentstate. It reads such files; it never downgrades them or drops their fields.
 */
export function refuseNewerSchema(context: StateContext, path: string): void {
  const minWriter = minimumWriter(context);
  if (minWriter && compareVersions(packageVersion(), minWriter) < 0) {
    throw upgradeError(`${configDisplay(context)} says the state needs agentstate >= ${minWriter} to write it (min_writer, recorded by \`migrate\`); this is ${packageVersion()}`, minWriter);
  }
  const schema = schemaOf(context, path);
  if (schema !== undefined && schema > SCHEMA_VERSION) {
    throw upgradeError(
      `${context.display(path)} has schema ${schema}, newer than this agentstate (${packageVersion()}, schema ${SCHEMA_VERSION}) knows: it reads it but will not write it`,
      minWriter ?? `a version that writes schema ${schema}`,
    );
  }
}

/** The files that declare a schema. */
export const SCHEMA_FILES = [FILES.config, FILES.events, FILES.decisions, FILES.backlog, FILES.runtime, FILES.learnings];

/** For `migrate`, which must never rewrite newer state in an older form: refuse when there is any skew. */
export function refuseAnySkew(context: StateContext): void {
  const found = skewFindings(context);
  if (found.length) throw upgradeError(`the state is newer than this agentstate: ${found.join('; ')}`, minimumWriter(context) ?? 'a version that knows the newer schema');
}

/** What doctor reports: state files newer than this agentstate, and a min_writer above it. */
export function skewFindings(context: StateContext, paths = SCHEMA_FILES.map((name) => context.path(name))): string[] {
  const found: string[] = [];
  const minWriter = minimumWriter(context);
  if (minWriter && compareVersions(packageVersion(), minWriter) < 0) found.push(`${configDisplay(context)} needs agentstate >= ${minWriter} to write (this is ${packageVersion()})`);
  for (const path of paths) {
    const schema = schemaOf(context, path);
    if (schema !== undefined && schema > SCHEMA_VERSION) found.push(`${context.display(path)} has schema ${schema} (this agentstate knows ${SCHEMA_VERSION})`);
  }
  return found;
}

export function minimumWriter(context: StateContext): string | undefined {
  const value = (context.config as { min_writer?: unknown }).min_writer;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The schema a file declares; the catch log has none of its own (config.yaml's is its). */
function schemaOf(context: StateContext, path: string): number | undefined {
  const name = basename(path);
  if (name.endsWith('.tsv')) return context.config.schema;
  if (name.endsWith('.json')) return declaredSchema(firstBytes(path), 'json');
  if (name.endsWith('.yaml')) return declaredSchema(firstBytes(path), 'yaml');
  return undefined;
}

function firstBytes(path: string, size = 4096): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return ''; // a new file: nothing declared yet
  }
  try {
    const buffer = Buffer.alloc(size);
    return buffer.subarray(0, readSync(fd, buffer, 0, size, 0)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

const configDisplay = (context: StateContext) => context.display(context.path(FILES.config));

function upgradeError(message: string, version: string): AgentstateError {
  return new AgentstateError(Exit.failure, `${message}; upgrade agentstate to >= ${version}`, 'nothing was written; upgrade (`npm install -g agentstate-cli@latest`), then retry');
}
