import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseRecordLine } from '../core/line-format.js';
import { CATCH_HEADER, parseRow } from '../core/tsv.js';
import { hasHead, readTreeFiles } from '../git/blobs.js';
import { setAside } from './durable.js';
import { ARCHIVE_DIR, FILES, LOCKS_DIR } from './layout.js';
import { parseRecordText, withoutBom } from './record-file.js';
import { parseYamlStrict } from './yaml-safe.js';
import type { StateContext } from './context.js';
import type { Transaction } from './transaction.js';

/**
 * What `doctor --repair` can fix without losing a record: torn tails and garbage in the logs
 * (set aside, never dropped), unreadable mutable files (restored from the last commit), leftover
 * temp files. Each function reports exactly what it did.
 */
type Kind = 'yaml-log' | 'tsv-log' | 'mutable';

export interface FileHealth {
  path: string; // absolute
  kind: Kind;
  problem?: string;
  line?: number;
}

const LOG_FILES: Array<[string, Kind, string?]> = [
  [FILES.events, 'yaml-log', 'events'],
  [FILES.decisions, 'yaml-log', 'decisions'],
  [FILES.learnings, 'yaml-log', 'learnings'],
  [FILES.catches, 'tsv-log'],
];

/** Every state file with what is wrong with it, if anything. */
export async function inspectFiles(context: StateContext): Promise<FileHealth[]> {
  const out: FileHealth[] = [];
  const segments = existsSync(context.path(ARCHIVE_DIR)) ? readdirSync(context.path(ARCHIVE_DIR)).filter((name) => !name.includes('.corrupt-')) : [];
  for (const [name, kind, listKey] of LOG_FILES) {
    const stem = name.slice(0, name.lastIndexOf('.'));
    const paths = [...segments.filter((segment) => segment.startsWith(`${stem}.`)).map((segment) => context.path(ARCHIVE_DIR, segment)), context.path(name)];
    for (const path of paths) if (existsSync(path)) out.push({ path, kind, ...(await logProblem(path, kind, listKey)) });
  }
  for (const name of [FILES.backlog, FILES.runtime, FILES.config]) {
    const path = context.path(name);
    if (existsSync(path)) out.push({ path, kind: 'mutable', ...(await mutableProblem(path, name)) });
  }
  // The backlog's sealed segments never change: a damaged one is restored from the last commit.
  for (const segment of segments.filter((name) => name.startsWith('backlog.') && name.endsWith('.yaml'))) {
    const path = context.path(ARCHIVE_DIR, segment);
    out.push({ path, kind: 'mutable', ...(await mutableProblem(path, FILES.backlog)) });
  }
  return out;
}

async function logProblem(path: string, kind: Kind, listKey?: string): Promise<{ problem?: string; line?: number }> {
  const text = readFileSync(path, 'utf8');
  const { garbage, torn } = splitLog(text, kind);
  if (garbage.length) return { problem: `${garbage.length} line(s) that are not records`, line: garbage[0]! + 1 };
  if (torn) return { problem: 'incomplete last record (torn tail)', line: text.split('\n').length };
  if (kind === 'yaml-log') {
    try {
      await parseRecordText(text, listKey!, path);
    } catch (error) {
      return { problem: (error as Error).message };
    }
  }
  return {};
}

async function mutableProblem(path: string, name: string): Promise<{ problem?: string }> {
  const text = readFileSync(path, 'utf8');
  try {
    if (name === FILES.runtime) JSON.parse(text);
    else if (name === FILES.config) await parseYamlStrict(text, path);
    else if ((await parseRecordText(text, 'items', path)).torn) return { problem: 'incomplete last line' };
    return {};
  } catch (error) {
    return { problem: (error as Error).message.split('\n')[0] };
  }
}

/**
 * Lines of a log that are neither header nor record (0-based), and whether the tail is torn. A
 * hand-edited block-style YAML log is not garbage: it goes through the YAML parser instead.
 */
function splitLog(text: string, kind: Kind): { keep: string[]; garbage: number[]; torn: boolean } {
  const lines = withoutBom(text).replace(/\r\n/g, '\n').split('\n');
  const tail = lines.pop() ?? '';
  const keep: string[] = [];
  const garbage: number[] = [];
  lines.forEach((line, i) => {
    if (kind === 'tsv-log') {
      if (i === 0 && `${line}\n` === CATCH_HEADER) return;
      if (parseRow(line)) keep.push(line);
      else garbage.push(i);
      return;
    }
    const parsed = parseRecordLine(line);
    if (parsed.kind === 'record') keep.push(line);
    else if (parsed.kind === 'other' && !/^(schema:\s*\d+|[a-z]+:( \[\])?)\s*$/.test(line)) garbage.push(i);
  });
  const blockStyle = kind === 'yaml-log' && garbage.length > 0 && !lines.some((line) => line.startsWith('- {'));
  return { keep, garbage: blockStyle ? [] : garbage, torn: tail !== '' };
}

/** The header lines of a log file (what precedes its records). */
function headerOf(text: string, kind: Kind): string {
  if (kind === 'tsv-log') return CATCH_HEADER;
  return text
    .split('\n')
    .filter((line) => line.startsWith('#') || /^schema:/.test(line) || /^[a-z]+:/.test(line))
    .map((line) => line.replace(/: \[\]$/, ':'))
    .join('\n') + '\n';
}

/**
 * Repair one damaged log: set the whole damaged file aside, then write the last committed version
 * followed by every complete record written after it (by id), in order. Nothing acknowledged is
 * lost, and the garbage stays on disk for a person to look at.
 */
export function repairLog(tx: Transaction, health: FileHealth): string {
  const { context } = tx;
  const text = readFileSync(health.path, 'utf8');
  const aside = setAside(health.path, Buffer.from(text));
  const { keep } = splitLog(text, health.kind);
  const committed = lastCommitted(context, health.path);
  const base = committed !== undefined ? splitLog(committed, health.kind).keep : [];
  const idOf = (line: string) => (health.kind === 'tsv-log' ? line.split('\t')[0] : /"id":"([^"]+)"/.exec(line)?.[1]) ?? line;
  const known = new Set(base.map(idOf));
  const added = keep.filter((line) => !known.has(idOf(line)));
  tx.replace(health.path, headerOf(committed ?? text, health.kind) + [...base, ...added].map((line) => `${line}\n`).join(''));
  return `${context.display(health.path)}: ${health.problem}; set the file aside in ${context.display(aside)} and rewrote it with ${base.length} committed + ${added.length} later record(s)`;
}

/** An unreadable backlog, runtime or config: restore the last committed version, keep the damaged one aside. */
export function restoreMutable(tx: Transaction, health: FileHealth): string {
  const { context } = tx;
  const committed = lastCommitted(context, health.path);
  if (committed === undefined) return `${context.display(health.path)}: ${health.problem}; no committed version to restore, left as it is`;
  const aside = setAside(health.path, readFileSync(health.path));
  tx.replace(health.path, committed);
  return `${context.display(health.path)}: ${health.problem}; set aside in ${context.display(aside)} and restored the last committed version`;
}

function lastCommitted(context: StateContext, path: string): string | undefined {
  if (!context.repo || !hasHead(context.repo.root)) return undefined;
  const rel = context.display(path);
  return readTreeFiles(context.repo.root, 'HEAD', [rel]).get(rel)?.toString('utf8');
}

/** Leftover temp files of interrupted atomic writes (older than a minute: a live writer's are younger). */
export function tempFiles(context: StateContext, minAgeMs = 60_000): string[] {
  const found: string[] = [];
  const now = Date.now();
  for (const dir of [context.stateDir, context.path(ARCHIVE_DIR), context.path(LOCKS_DIR), context.root]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.tmp') || (dir === context.root && !name.startsWith('.AGENTS.md.'))) continue;
      const path = join(dir, name);
      if (now - statSync(path).mtimeMs >= minAgeMs) found.push(path);
    }
  }
  return found;
}

export function removeFiles(paths: string[]): void {
  for (const path of paths) rmSync(path, { force: true });
}
