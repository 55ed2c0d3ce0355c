import { projectDecisions, type DecisionView } from '../core/decisions.js';
import { latestByTime } from '../core/latest.js';
import type { RuntimeClock } from '../core/merge-runtime.js';
import { projectLearnings, type LearningView } from '../core/learnings.js';
import { taskSchema, type Task } from '../core/schemas.js';
import type { Handoff } from '../core/briefing.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTreeFiles } from '../git/blobs.js';
import { findRepo } from '../git/repo.js';
import { git } from '../git/run.js';
import { ARCHIVE_DIR, FILES, LOGS } from './layout.js';
import { effectiveTasks, missingDependencies } from '../core/backlog.js';
import { mergeBacklogText, mergeLogText } from './merge-files.js';
import { parseRecordText } from './record-file.js';
import { handoffOf } from './snapshot.js';

/**
 * The merged sources of the derived files, computed inside a merge: git merges decisions-index.yaml
 * before decisions.yaml (and writes the work tree only at the end), and a driver sees only its own
 * file's base, so the derived drivers merge the sources themselves, exactly as git and the source
 * drivers do: the same base (in a criss-cross merge, the virtual base git builds by merging the
 * merge bases), git's rule that a file only one side changed is that side's, then our drivers.
 */
export interface MergedSources {
  decisions: DecisionView[];
  /** Size of the merged chain (segments and active file), for the index's source_bytes. */
  decisionBytes: number;
  /** The merged active decisions.yaml, for the index's source_digest. */
  decisionActive: Buffer | undefined;
  tasks: Task[];
  handoff?: Handoff;
  learnings: LearningView[];
}

type Rec = Record<string, unknown>;
type Tree = Map<string, Buffer>;

/**
 * The other side of the merge in progress and the bases git merges against: for a merge or a pull,
 * GITHEAD_<sha> and every merge base; for a rebase, the commit being replayed (the last `pick` in
 * rebase-merge/done) and its parent.
 */
export function otherSide(repoRoot: string, env: NodeJS.ProcessEnv = process.env): { theirs: string; bases: string[] } | undefined {
  const key = Object.keys(env).find((name) => /^GITHEAD_[0-9a-f]{40,64}$/.test(name));
  if (key) {
    const theirs = key.slice('GITHEAD_'.length);
    return { theirs, bases: mergeBases(repoRoot, 'HEAD', theirs) };
  }
  const repo = findRepo(repoRoot);
  const done = repo ? join(repo.gitDir, 'rebase-merge', 'done') : undefined;
  if (!done || !existsSync(done)) return undefined;
  const last = readFileSync(done, 'utf8').trim().split('\n').filter((line) => /^(p|pick|r|reword|e|edit|s|squash|f|fixup)\s/.test(line)).pop();
  const picked = last?.split(/\s+/)[1];
  if (!picked) return undefined;
  const theirs = git(repoRoot, ['rev-parse', '--verify', '--quiet', `${picked}^{commit}`]).stdout.trim();
  const base = git(repoRoot, ['rev-parse', '--verify', '--quiet', `${picked}^`]).stdout.trim();
  return theirs ? { theirs, bases: base ? [base] : [] } : undefined;
}

const mergeBases = (repoRoot: string, a: string, b: string) => git(repoRoot, ['merge-base', '--all', a, b]).stdout.trim().split('\n').filter(Boolean);

/** When `path` was last committed on each side of the merge in progress (ms), for the runtime merge's clocks. */
export function commitTimes(repoRoot: string, path: string, now = Date.now()): RuntimeClock {
  const at = (rev: string) => {
    const seconds = Number(git(repoRoot, ['log', '-1', '--format=%ct', rev, '--', path]).stdout.trim());
    return seconds > 0 ? seconds * 1000 : undefined;
  };
  const theirs = otherSide(repoRoot)?.theirs;
  const [oursCommitted, theirsCommitted] = [at('HEAD'), theirs ? at(theirs) : undefined];
  return { now, ...(oursCommitted ? { oursCommitted } : {}), ...(theirsCommitted ? { theirsCommitted } : {}) };
}

/** The source files of the derived ones (and of the AGENTS.md block): the logs (with their segments) and the backlog. */
function mergerOf(stateDir: string, path: string): ((base: string, ours: string, theirs: string) => Promise<string>) | undefined {
  const name = path.slice(stateDir.length + 1);
  if (name === FILES.backlog) return mergeBacklogText;
  const log = /^(?:archive\/)?(events|decisions|learnings|backlog)\.(?:[^/]+\.)?yaml$/.exec(name)?.[1];
  // A sealed backlog segment never changes: merged (should two sides ever differ) as a log of its tasks.
  return log ? (base, ours, theirs) => mergeLogText(base, ours, theirs, 'log', log === 'backlog' ? 'items' : log) : undefined;
}

/** The source files of three trees merged as git merges them: a file only one side changed is that side's; else our driver. */
async function mergeTrees(stateDir: string, base: Tree, ours: Tree, theirs: Tree): Promise<Tree> {
  const merged: Tree = new Map();
  for (const path of new Set([...ours.keys(), ...theirs.keys()])) {
    const merge = mergerOf(stateDir, path);
    if (!merge) continue;
    const [o, a, b] = [base.get(path)?.toString('utf8'), ours.get(path)?.toString('utf8'), theirs.get(path)?.toString('utf8')];
    const text = a === b ? a : o === a ? b : o === b ? a : await merge(o ?? '', a ?? '', b ?? '');
    if (text !== undefined) merged.set(path, Buffer.from(text));
  }
  return merged;
}

/** The base git merges with: the one merge base, or (criss-cross) the merge bases merged one into the next, as git's recursive merge does. */
async function baseTree(repoRoot: string, stateDir: string, bases: string[], depth = 0): Promise<Tree> {
  const read = (rev: string) => readTreeFiles(repoRoot, rev, [stateDir]);
  const [first, ...rest] = [...bases].reverse();
  if (!first) return new Map();
  let merged = read(first);
  let previous = first;
  for (const next of rest) {
    const inner = depth < 3 ? await baseTree(repoRoot, stateDir, mergeBases(repoRoot, previous, next), depth + 1) : new Map<string, Buffer>();
    merged = await mergeTrees(stateDir, inner, merged, read(next));
    previous = next;
  }
  return merged;
}

export async function mergedSources(repoRoot: string, stateDir: string): Promise<MergedSources | undefined> {
  const side = otherSide(repoRoot);
  if (!side) return undefined;
  const read = (rev: string) => readTreeFiles(repoRoot, rev, [stateDir]);
  const merged = await mergeTrees(stateDir, await baseTree(repoRoot, stateDir, side.bases), read('HEAD'), read(side.theirs));

  const family = async (file: string, listKey: string): Promise<{ records: Rec[]; bytes: number }> => {
    const stem = file.slice(0, file.lastIndexOf('.'));
    const prefix = `${stateDir}/${ARCHIVE_DIR}/${stem}.`;
    const segments = [...merged.keys()].filter((path) => path.startsWith(prefix) && !path.includes('.corrupt-')).sort();
    const paths = [...segments, `${stateDir}/${file}`].filter((path) => merged.has(path));
    const seen = new Set<string>();
    const records: Rec[] = [];
    let bytes = 0;
    for (const path of paths) {
      const content = merged.get(path)!;
      bytes += content.length;
      for (const { value } of (await parseRecordText(content.toString('utf8'), listKey, file)).records) {
        if (seen.has(String(value.id))) continue;
        seen.add(String(value.id));
        records.push(value);
      }
    }
    return { records, bytes };
  };

  const chain = await family(LOGS.decisions.file, LOGS.decisions.listKey);
  const events = (await family(LOGS.events.file, LOGS.events.listKey)).records;
  const lastHandoff = latestByTime(events.filter((event) => event.type === 'handoff'));
  const tasksOf = async (path: string) => (await parseRecordText(merged.get(path)?.toString('utf8') ?? '', 'items', FILES.backlog)).records.map(({ value }) => taskSchema.parse(value));
  const active = await tasksOf(`${stateDir}/${FILES.backlog}`);
  // The sealed tasks the active ones depend on (their status decides readiness), as readBacklog reads them.
  const missing = missingDependencies(active);
  const segmentPrefix = `${stateDir}/${ARCHIVE_DIR}/${FILES.backlog.slice(0, FILES.backlog.lastIndexOf('.'))}.`;
  const segments = missing.size ? [...merged.keys()].filter((path) => path.startsWith(segmentPrefix) && !path.includes('.corrupt-')).sort() : [];
  const sealed = effectiveTasks(await Promise.all(segments.map(tasksOf)), active).filter((task) => missing.has(task.id));
  const tasks = [...active, ...sealed];
  const learnings = projectLearnings((await family(LOGS.learnings.file, LOGS.learnings.listKey)).records);
  return {
    decisions: projectDecisions(chain.records),
    decisionBytes: chain.bytes,
    decisionActive: merged.get(`${stateDir}/${FILES.decisions}`),
    tasks,
    learnings,
    ...(lastHandoff ? { handoff: handoffOf(lastHandoff) } : {}),
  };
}
