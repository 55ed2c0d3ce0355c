import { createHash } from 'node:crypto';
import type { ZodType } from 'zod';
import { configProblem, DEFAULT_CONFIG, mergeConfig, type Config } from '../core/config.js';
import { projectDecisions } from '../core/decisions.js';
import { overLimit, secretIn, walkStrings } from '../core/guards.js';
import { duplicateKey } from '../core/line-format.js';
import { catchSchema, decisionRecordSchema, eventSchema, learningRecordSchema, runtimeSchema, taskSchema, type Task } from '../core/schemas.js';
import { anyCycle, effectiveTasks } from '../core/backlog.js';
import { liveOwnerClashes } from '../core/lease.js';
import { lostRecords, recordId } from '../core/append-only.js';
import { CATCH_HEADER, parseRow } from '../core/tsv.js';
import { AgentstateError } from '../errors.js';
import { decisionIndexText, indexMatches } from './decisions-file.js';
import { ARCHIVE_DIR, FILES } from './layout.js';
import { parseRecordText, plainBytes, type RecordFile } from './record-file.js';
import { parseYamlStrict } from './yaml-safe.js';

/**
 * `check`: validate a set of state files (from the working tree or the index) against their
 * schemas, against the previous commit (append-only), and against each other (unique ids,
 * references, derived files). No I/O: the caller reads the files.
 */
export interface Finding {
  file: string;
  line?: number;
  message: string;
  /**
   * A warning is shown but does not fail the check: what merged history may legitimately hold
   * (a decision closed on two clones, a dependency cycle made of two clones' edges).
   */
  severity?: 'warning';
}

export const isError = (finding: Finding) => finding.severity !== 'warning';

export interface CheckInput {
  stateDir: string; // repo-relative, e.g. ".agentstate"
  current: Map<string, Buffer>;
  previous: Map<string, Buffer>;
  /**
   * Content hashes of sealed segments that passed a full check before. A segment never changes,
   * so its records are not validated again (only their ids are read, for uniqueness).
   */
  trusted?: Set<string>;
  /** Filled with the hashes of segments that passed in full this time. */
  validated?: string[];
}

type Rec = Record<string, unknown>;
interface Family {
  name: string;
  active: string;
  kind: 'yaml' | 'tsv';
  listKey?: string;
  schema: ZodType<unknown>;
}

const repeatedKeyMessage = (key: string) => `the record repeats the key "${key}" (a JSON reader keeps only the last value, silently); edit the line so that each key appears once`;

export const format = (finding: Finding) => `${finding.file}${finding.line ? `:${finding.line}` : ''}: ${finding.severity ? `${finding.severity}: ` : ''}${finding.message}`;

export async function checkFiles(raw: CheckInput): Promise<Finding[]> {
  // A Windows checkout (core.autocrlf) or an editor may add CRLF line ends and a BOM: not changes.
  const plain = (files: Map<string, Buffer>) => new Map([...files].map(([path, bytes]) => [path, plainBytes(bytes)]));
  const input: CheckInput = { ...raw, current: plain(raw.current), previous: plain(raw.previous) };
  const findings: Finding[] = [];
  const at = (name: string) => `${input.stateDir}/${name}`;
  const text = (path: string) => input.current.get(path)?.toString('utf8');
  const config = await checkConfig(text(at(FILES.config)), at(FILES.config), findings);

  const families: Family[] = [
    { name: 'events', active: FILES.events, kind: 'yaml', listKey: 'events', schema: eventSchema },
    { name: 'decisions', active: FILES.decisions, kind: 'yaml', listKey: 'decisions', schema: decisionRecordSchema },
    { name: 'catches', active: FILES.catches, kind: 'tsv', schema: catchSchema },
    { name: 'learnings', active: FILES.learnings, kind: 'yaml', listKey: 'learnings', schema: learningRecordSchema },
  ];
  const records: Record<string, Rec[]> = {};
  for (const family of families) {
    records[family.name] = await checkLog(input, family, config, findings);
    checkAppendOnly(input, family, findings);
  }
  checkDecisions(records.decisions ?? [], at(FILES.decisions), findings);
  checkLearnings(records.learnings ?? [], at(FILES.learnings), findings);
  const index = text(at(FILES.decisionsIndex));
  const chainBytes = familyPaths(input.current, input.stateDir, FILES.decisions).reduce((sum, path) => sum + (input.current.get(path)?.length ?? 0), 0);
  if (index !== undefined && !indexMatches(index, decisionIndexText(projectDecisions(records.decisions ?? []), config.decisions.recent, chainBytes, input.current.get(at(FILES.decisions))))) {
    findings.push({ file: at(FILES.decisionsIndex), message: 'does not match decisions.yaml; run `agentstate doctor --repair` to regenerate it' });
  }
  const sealedTasks = await checkSealedTasks(input, config, findings);
  await checkBacklog(text(at(FILES.backlog)), at(FILES.backlog), sealedTasks, config, findings);
  checkRuntime(text(at(FILES.runtime)), at(FILES.runtime), findings);
  return findings;
}

async function checkConfig(text: string | undefined, file: string, findings: Finding[]): Promise<Config> {
  if (text === undefined) {
    findings.push({ file, message: 'missing; run `agentstate init`' });
    return DEFAULT_CONFIG;
  }
  try {
    const parsed = await parseYamlStrict(text, file);
    const merged = mergeConfig(DEFAULT_CONFIG as unknown as Rec, parsed.value ?? {});
    const problem = configProblem(merged);
    if (problem) findings.push({ file, message: problem });
    return problem ? DEFAULT_CONFIG : (merged as unknown as Config);
  } catch (error) {
    findings.push({ file, message: (error as Error).message.replace(`${file}: `, '') });
    return DEFAULT_CONFIG;
  }
}

/** Segment and active file paths of a family, segments first in name order. */
function familyPaths(files: Map<string, Buffer>, stateDir: string, active: string): string[] {
  const dot = active.lastIndexOf('.');
  const prefix = `${stateDir}/${ARCHIVE_DIR}/${active.slice(0, dot)}.`;
  const segments = [...files.keys()].filter((path) => path.startsWith(prefix) && path.endsWith(active.slice(dot)) && !path.includes('.corrupt-')).sort();
  return [...segments, `${stateDir}/${active}`];
}

async function parseFamilyFile(family: Family, path: string, text: string): Promise<RecordFile> {
  if (family.kind === 'yaml') return parseRecordText(text, family.listKey!, path, { duplicates: true });
  const lines = text.split('\n');
  const tail = lines.pop() ?? '';
  if (lines[0] !== undefined && `${lines[0]}\n` !== CATCH_HEADER) {
    throw new AgentstateError(1, `${path}:1: the header must be the 7 column names, tab-separated`);
  }
  const result: RecordFile = { schema: undefined, records: [], slow: false };
  lines.slice(1).forEach((line, i) => {
    const row = parseRow(line);
    if (!row) throw new AgentstateError(1, `${path}:${i + 2}: a record must have the header's 7 tab-separated fields`);
    result.records.push({ value: row, line: i + 2 });
  });
  if (tail !== '') result.torn = { line: lines.length + 1, text: tail };
  return result;
}

async function checkLog(input: CheckInput, family: Family, config: Config, findings: Finding[]): Promise<Rec[]> {
  const seen = new Map<string, string>();
  const out: Rec[] = [];
  const keep = family.name === 'decisions' || family.name === 'learnings'; // chains are checked afterwards; other logs only need their ids
  const note = (id: string, text: string, path: string, line: number): boolean => {
    const earlier = seen.get(id);
    if (earlier === undefined) {
      seen.set(id, text);
      return true;
    }
    // The same record in a sealed segment and again later (a crash mid-seal, a merge across seals) is harmless.
    if (earlier !== text) findings.push({ file: path, line, message: `duplicate id ${id} with different content` });
    return false;
  };
  for (const path of familyPaths(input.current, input.stateDir, family.active)) {
    const bytes = input.current.get(path);
    if (bytes === undefined) continue;
    const text = bytes.toString('utf8');
    const digest = input.trusted && path !== `${input.stateDir}/${family.active}` ? hashOf(bytes) : undefined;
    if (digest && input.trusted?.has(digest)) {
      for (const [i, line] of text.split('\n').entries()) {
        const id = idOfLine(line, family.kind, i);
        if (id && note(id, line, path, i + 1) && keep) out.push(JSON.parse(line.slice(2)) as Rec);
      }
      continue;
    }
    let file: RecordFile;
    try {
      file = await parseFamilyFile(family, path, text);
    } catch (error) {
      findings.push({ file: path, message: ((error as Error).message.split(': ').slice(1).join(': ') || (error as Error).message) + ' (run `agentstate doctor`)' });
      continue;
    }
    const before = findings.length;
    if (file.torn) findings.push({ file: path, line: file.torn.line, message: 'incomplete last record (a crashed write); `agentstate doctor --repair` sets it aside' });
    for (const { line, key } of file.repeated ?? []) findings.push({ file: path, line, message: repeatedKeyMessage(key) });
    const lines = text.split('\n');
    for (const { value, line } of file.records) {
      const parsed = family.schema.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        findings.push({ file: path, line, message: `${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}` });
        continue;
      }
      if (!note(String(value.id), file.slow ? JSON.stringify(value) : (lines[line - 1] ?? ''), path, line)) continue;
      checkContent(value, path, line, config, findings);
      if (keep) out.push(value);
    }
    if (digest && findings.length === before) input.validated?.push(digest);
  }
  return out;
}

/** The id of a record line as agentstate writes it (id first), without parsing the whole line. */
function idOfLine(line: string, kind: Family['kind'], index: number): string | undefined {
  if (kind === 'tsv') return index > 0 && line !== '' ? line.slice(0, line.indexOf('\t')) : undefined;
  if (!line.startsWith('- {')) return undefined;
  if (line.startsWith('- {"id":"')) return line.slice(9, line.indexOf('"', 9));
  return String((JSON.parse(line.slice(2)) as Rec).id);
}

const hashOf = (bytes: Buffer) => createHash('sha1').update(bytes).digest('hex');

/** Secrets and oversized fields of one record, in one walk over its strings. */
function checkContent(value: Rec, file: string, line: number | undefined, config: Config, findings: Finding[]): void {
  const limit = config.limits.field_bytes;
  const trusted = value.allow_secret === true;
  walkStrings(value, (text, field) => {
    const rule = trusted ? undefined : secretIn(text);
    if (rule) findings.push({ file, line, message: `${field} looks like a secret (${rule})` });
    if (overLimit(text, limit)) findings.push({ file, line, message: `${field} is ${Buffer.byteLength(text)} bytes, over the ${limit}-byte limit` });
    return false;
  }, '', true);
}

/** No record changed or removed since the previous version; sealed segments never change. */
function checkAppendOnly(input: CheckInput, family: Family, findings: Finding[]): void {
  const previousPaths = familyPaths(input.previous, input.stateDir, family.active);
  const currentPaths = familyPaths(input.current, input.stateDir, family.active);
  const activePath = currentPaths[currentPaths.length - 1]!;
  for (const path of previousPaths.slice(0, -1)) {
    const before = input.previous.get(path)!;
    const now = input.current.get(path);
    if (!now) findings.push({ file: path, message: 'a sealed segment was removed (append-only)' });
    else if (!now.equals(before)) findings.push({ file: path, message: 'a sealed segment was changed (append-only)' });
  }
  const before = input.previous.get(activePath);
  const now = input.current.get(activePath);
  if (!before || !now) return;
  if (now.subarray(0, before.length).equals(before)) return;
  // Not a byte prefix: every earlier record must still exist, by id and content, in a new segment (sealed) or here.
  const newSegments = currentPaths.slice(0, -1).filter((path) => !input.previous.has(path));
  const complete = (text: string) => text.slice(0, text.lastIndexOf('\n') + 1); // a torn last line is no record yet
  const lost = lostRecords(
    [{ file: activePath, text: complete(before.toString('utf8')), kind: family.kind }],
    [...newSegments, activePath].map((path) => ({ file: path, text: input.current.get(path)!.toString('utf8'), kind: family.kind })),
  );
  const lineOf = (text: string, id: string) =>
    text.split('\n').findIndex((line) => (family.kind === 'yaml' ? line.startsWith('- {') && recordId(line, 'yaml') === id : line.startsWith(`${id}\t`))) + 1;
  for (const { id, change } of lost) {
    findings.push({ file: activePath, line: lineOf(now.toString('utf8'), id) || lineOf(before.toString('utf8'), id), message: `record ${id} was ${change} since the last commit (append-only)` });
  }
}

function checkDecisions(records: Rec[], file: string, findings: Finding[]): void {
  const decisions = new Map(records.filter((r) => r.kind === 'decision').map((r) => [String(r.id), r]));
  const closings = new Map<string, Rec[]>();
  for (const record of records) {
    if (record.kind === 'decision') continue;
    const target = decisions.get(String(record.decision));
    if (!target) {
      findings.push({ file, message: `${String(record.kind)} ${String(record.id)} names unknown decision ${String(record.decision)}` });
      continue;
    }
    if (record.kind === 'outcome' && target.standing === true) findings.push({ file, message: `outcome ${String(record.id)} for standing order ${String(record.decision)}` });
    if (record.kind === 'revoke' && target.standing !== true) findings.push({ file, message: `revoke ${String(record.id)} for ${String(record.decision)}, which is not a standing order` });
    const list = closings.get(String(record.decision)) ?? [];
    list.push(record);
    closings.set(String(record.decision), list);
  }
  // Closed on two clones, then merged: legitimate history. The earliest closing counts.
  for (const [decision, list] of closings) {
    if (list.length < 2) continue;
    const [first, ...others] = [...list].sort(byTime);
    const describe = (r: Rec) => `${String(r.id)} (${String(r.status ?? r.kind)}, ${String(r.agent)}, ${String(r.at)})`;
    findings.push({
      file,
      severity: 'warning',
      message: `${decision} was closed more than once (merged from clones): ${describe(first!)} counts; also ${others.map(describe).join(', ')}`,
    });
  }
}

/** A confirm or retire names a known learning. Retired on two clones is a merge, not a finding. */
function checkLearnings(records: Rec[], file: string, findings: Finding[]): void {
  const learned = new Set(records.filter((r) => r.kind === 'learning').map((r) => String(r.id)));
  for (const record of records) {
    if (record.kind !== 'learning' && !learned.has(String(record.learning))) {
      findings.push({ file, message: `${String(record.kind)} ${String(record.id)} names unknown learning ${String(record.learning)}` });
    }
  }
}

const byTime = (a: Rec, b: Rec) => (String(a.at) < String(b.at) ? -1 : String(a.at) > String(b.at) ? 1 : String(a.id) < String(b.id) ? -1 : 1);

/**
 * The sealed backlog segments (archive/backlog.<stamp>.yaml): valid tasks, and never changed or
 * removed since the previous version. Their tasks, each segment a list, for the checks across the backlog.
 */
async function checkSealedTasks(input: CheckInput, config: Config, findings: Finding[]): Promise<Task[][]> {
  const segments = familyPaths(input.current, input.stateDir, FILES.backlog).slice(0, -1);
  for (const path of familyPaths(input.previous, input.stateDir, FILES.backlog).slice(0, -1)) {
    const now = input.current.get(path);
    if (!now) findings.push({ file: path, message: 'a sealed segment of the backlog was removed (its tasks are gone); restore it: `git checkout HEAD -- ' + path + '`' });
    else if (!now.equals(input.previous.get(path)!)) findings.push({ file: path, message: 'a sealed segment of the backlog was changed (sealed segments never change); restore it: `git checkout HEAD -- ' + path + '`' });
  }
  const out: Task[][] = [];
  for (const path of segments) {
    let parsed: RecordFile;
    try {
      parsed = await parseRecordText(input.current.get(path)!.toString('utf8'), 'items', path, { duplicates: true });
    } catch (error) {
      findings.push({ file: path, message: (error as Error).message.replace(`${path}: `, '') });
      continue;
    }
    if (parsed.torn) findings.push({ file: path, line: parsed.torn.line, message: 'incomplete last task' });
    for (const { line, key } of parsed.repeated ?? []) findings.push({ file: path, line, message: repeatedKeyMessage(key) });
    const tasks: Task[] = [];
    for (const { value, line } of parsed.records) {
      const result = taskSchema.safeParse(value);
      if (!result.success) {
        const issue = result.error.issues[0];
        findings.push({ file: path, line, message: `${issue?.path.join('.') || 'task'}: ${issue?.message ?? 'invalid'}` });
        continue;
      }
      checkContent(value, path, line, config, findings);
      tasks.push(value as unknown as Task);
    }
    out.push(tasks);
  }
  return out;
}

async function checkBacklog(text: string | undefined, file: string, sealed: Task[][], config: Config, findings: Finding[]): Promise<void> {
  if (text === undefined) return;
  let parsed: RecordFile;
  try {
    parsed = await parseRecordText(text, 'items', file, { duplicates: true });
  } catch (error) {
    findings.push({ file, message: (error as Error).message.replace(`${file}: `, '') });
    return;
  }
  if (parsed.torn) findings.push({ file, line: parsed.torn.line, message: 'incomplete last task' });
  for (const { line, key } of parsed.repeated ?? []) findings.push({ file, line, message: repeatedKeyMessage(key) });
  const ids = new Map<string, number>();
  const tasks: Array<{ value: Rec; line: number }> = [];
  for (const { value, line } of parsed.records) {
    const result = taskSchema.safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0];
      findings.push({ file, line, message: `${issue?.path.join('.') || 'task'}: ${issue?.message ?? 'invalid'}` });
      continue;
    }
    if (ids.has(String(value.id))) findings.push({ file, line, message: `duplicate id ${String(value.id)}` });
    ids.set(String(value.id), line);
    checkContent(value, file, line, config, findings);
    tasks.push({ value, line });
  }
  const all = effectiveTasks(sealed, tasks.map((task) => task.value) as unknown as Task[]);
  const known = new Set(all.map((task) => task.id));
  for (const { value, line } of tasks) {
    for (const dep of (value.depends_on as string[] | undefined) ?? []) {
      if (!known.has(dep)) findings.push({ file, line, message: `${String(value.id)} depends on unknown task ${dep}` });
    }
  }
  for (const clash of liveOwnerClashes(all, Date.now())) {
    findings.push({ file, line: ids.get(clash.id), message: `${clash.id} has two live owners (${clash.owners.join(', ')}): a merge without agentstate's driver; keep one claim (\`agentstate hooks install\`, then merge again)` });
  }
  const cycle = anyCycle(all);
  if (cycle) {
    // The CLI refuses a cycle, so this one was made by a merge (each clone added one edge) or by hand.
    const updated = new Map(all.map((task) => [task.id, String(task.updated ?? '')]));
    const members = cycle.slice(0, -1);
    const latest = members.reduce((best, id) => (updated.get(id)! > updated.get(best)! || (updated.get(id) === updated.get(best) && id > best) ? id : best));
    const dependency = cycle[members.indexOf(latest) + 1]!;
    findings.push({
      file,
      line: ids.get(latest),
      severity: 'warning',
      message: `dependency cycle ${cycle.join(' -> ')} (made by a merge?); break it: agentstate backlog update ${latest} --drop-depends ${dependency}`,
    });
  }
}

function checkRuntime(text: string | undefined, file: string, findings: Finding[]): void {
  if (text === undefined) return;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    findings.push({ file, message: 'not valid JSON' });
    return;
  }
  const repeated = duplicateKey(text);
  if (repeated) findings.push({ file, line: text.slice(0, repeated.offset).split('\n').length, message: repeatedKeyMessage(repeated.key) });
  const parsed = runtimeSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    findings.push({ file, message: `${issue?.path.join('.') || 'runtime'}: ${issue?.message ?? 'invalid'}` });
  }
}
