import { existsSync, readFileSync } from 'node:fs';
import type { ZodType } from 'zod';
import { fileHeader, recordLine } from '../core/line-format.js';
import { LATEST, upgradeEvent, upgradeRuntime } from '../core/migrations.js';
import { decisionRecordSchema, eventSchema, learningRecordSchema, runtimeSchema, SCHEMA_VERSION, taskSchema } from '../core/schemas.js';
import { unreadableError } from '../errors.js';
import { packageVersion } from '../package-root.js';
import { BACKLOG_COMMENT } from './backlog-file.js';
import { FILES, LOGS } from './layout.js';
import { readRecordFile } from './record-file.js';
import { runtimeText } from './runtime-file.js';
import type { Transaction } from './transaction.js';

type Rec = Record<string, unknown>;

const YAML_FILES: Array<{ file: string; listKey: string; comment: string; schema: ZodType<unknown>; upgrade: (r: Rec, schema: number | undefined) => Rec }> = [
  { file: FILES.events, listKey: 'events', comment: LOGS.events.comment, schema: eventSchema, upgrade: upgradeEvent },
  { file: FILES.decisions, listKey: 'decisions', comment: LOGS.decisions.comment, schema: decisionRecordSchema, upgrade: (r) => r },
  { file: FILES.learnings, listKey: 'learnings', comment: LOGS.learnings.comment, schema: learningRecordSchema, upgrade: (r) => r },
  { file: FILES.backlog, listKey: 'items', comment: BACKLOG_COMMENT, schema: taskSchema, upgrade: (r) => r },
];

/**
 * Rewrite files of an older schema (or hand-edited into block style) in the current form. Every
 * record is validated first; one that does not validate stops the migration before a byte is
 * written. Returns the files it migrated.
 */
export async function migrateFiles(tx: Transaction): Promise<string[]> {
  const { context } = tx;
  const writes: Array<[string, string]> = [];
  for (const spec of YAML_FILES) {
    const path = context.path(spec.file);
    if (!existsSync(path)) continue;
    const display = context.display(path);
    const read = await readRecordFile(path, spec.listKey, display, { duplicates: true });
    if ((read.schema ?? LATEST) >= SCHEMA_VERSION && !read.slow) continue;
    const records = read.records.map(({ value, line }) => {
      const upgraded = spec.upgrade(value, read.schema ?? 0);
      const parsed = spec.schema.safeParse(upgraded);
      if (!parsed.success) throw unreadableError(display, line, `cannot migrate: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
      return upgraded;
    });
    writes.push([path, fileHeader(spec.comment, SCHEMA_VERSION, spec.listKey) + records.map((record) => recordLine(record)).join('')]);
  }
  const runtimePath = context.path(FILES.runtime);
  if (existsSync(runtimePath)) {
    const document = JSON.parse(readFileSync(runtimePath, 'utf8')) as Rec;
    if (!(typeof document.schema === 'number' && document.schema >= SCHEMA_VERSION)) {
      const parsed = runtimeSchema.safeParse(upgradeRuntime(document));
      if (!parsed.success) throw unreadableError(context.display(runtimePath), undefined, 'cannot migrate: not a runtime state document');
      writes.push([runtimePath, runtimeText({ ...parsed.data, schema: SCHEMA_VERSION })]);
    }
  }
  const configPath = context.path(FILES.config);
  if (existsSync(configPath)) {
    const text = readFileSync(configPath, 'utf8');
    const declared = /^schema:\s*(\d+)\s*$/m.exec(text);
    if (!declared || Number(declared[1]) < SCHEMA_VERSION || writes.length) writes.push([configPath, withMinimumWriter(text, declared)]);
  }
  for (const [path, content] of writes) tx.replace(path, content);
  return writes.map(([path]) => context.display(path));
}

/**
 * config.yaml is the user's: only its schema line changes (comments and order stay), and
 * `min_writer` records this version as the oldest agentstate that may write the migrated state,
 * so an older clone refuses to write it instead of downgrading it.
 */
function withMinimumWriter(text: string, declared: RegExpExecArray | null): string {
  const schemaLine = `schema: ${SCHEMA_VERSION}`;
  const writerLine = `min_writer: "${packageVersion()}"   # the oldest agentstate that may write this state (set by \`agentstate migrate\`)`;
  const withSchema = declared ? text.replace(declared[0], schemaLine) : `${schemaLine}\n${text}`;
  const existing = /^min_writer:.*$/m.exec(withSchema);
  if (existing) return withSchema.replace(existing[0], writerLine);
  return withSchema.replace(schemaLine, `${schemaLine}\n${writerLine}`);
}
