import { projectDecisions, type DecisionView } from '../core/decisions.js';
import { projectLearnings, type LearningView } from '../core/learnings.js';
import { taskSchema, type Task } from '../core/schemas.js';
import type { Handoff } from '../core/briefing.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTreeFiles } from '../git/blobs.js';
import { findRepo } from '../git/repo.js';
import { git } from '../git/run.js';
import { ARCHIVE_DIR, FILES, LOGS } from './layout.js';
import { mergeBacklogText, mergeLogText } from './merge-files.js';
import { parseRecordText } from './record-file.js';
import { handoffOf } from './snapshot.js';

/**
 * The merged sources of the derived files, computed inside a merge: git merges decisions-index.yaml
 * before decisions.yaml (and writes the work tree only at the end), so the derived drivers merge
 * the sources themselves, from ours (HEAD), theirs and their base (see otherSide), exactly as the
 * source drivers do.
 */
export interface MergedSources {
  decisions: DecisionView[];
  /** Size of the merged chain (segments and active file), for the index's source_bytes. */
  decisionBytes: number;
  tasks: Task[];
  handoff?: Handoff;
  learnings: LearningView[];
}

type Rec = Record<string, unknown>;

/**
 * The other side of the merge in progress and the base to merge against: for a merge or a pull,
 * GITHEAD_<sha> and the merge base; for a rebase, the commit being replayed (the last `pick` in
 * rebase-merge/done) and its parent.
 */
export function otherSide(repoRoot: string, env: NodeJS.ProcessEnv = process.env): { theirs: string; base: string } | undefined {
  const key = Object.keys(env).find((name) => /^GITHEAD_[0-9a-f]{40,64}$/.test(name));
  if (key) {
    const theirs = key.slice('GITHEAD_'.length);
    return { theirs, base: git(repoRoot, ['merge-base', 'HEAD', theirs]).stdout.trim() };
  }
  const repo = findRepo(repoRoot);
  const done = repo ? join(repo.gitDir, 'rebase-merge', 'done') : undefined;
  if (!done || !existsSync(done)) return undefined;
  const last = readFileSync(done, 'utf8').trim().split('\n').filter((line) => /^(p|pick|r|reword|e|edit|s|squash|f|fixup)\s/.test(line)).pop();
  const picked = last?.split(/\s+/)[1];
  if (!picked) return undefined;
  const theirs = git(repoRoot, ['rev-parse', '--verify', '--quiet', `${picked}^{commit}`]).stdout.trim();
  const base = git(repoRoot, ['rev-parse', '--verify', '--quiet', `${picked}^`]).stdout.trim();
  return theirs ? { theirs, base } : undefined;
}

export async function mergedSources(repoRoot: string, stateDir: string): Promise<MergedSources | undefined> {
  const side = otherSide(repoRoot);
  if (!side) return undefined;
  const { theirs, base: baseSha } = side;
  const read = (rev: string) => (rev ? readTreeFiles(repoRoot, rev, [stateDir]) : new Map<string, Buffer>());
  const trees = { base: read(baseSha), ours: read('HEAD'), theirs: read(theirs) };
  const text = (tree: Map<string, Buffer>, name: string) => tree.get(`${stateDir}/${name}`)?.toString('utf8') ?? '';

  const family = async (file: string, listKey: string): Promise<{ records: Rec[]; bytes: number }> => {
    const stem = file.slice(0, file.lastIndexOf('.'));
    const prefix = `${stateDir}/${ARCHIVE_DIR}/${stem}.`;
    const segments = new Map<string, Buffer>();
    for (const tree of [trees.ours, trees.theirs]) for (const [path, bytes] of tree) if (path.startsWith(prefix) && !path.includes('.corrupt-')) segments.set(path, bytes);
    const active = await mergeLogText(text(trees.base, file), text(trees.ours, file), text(trees.theirs, file), 'log', listKey);
    const seen = new Set<string>();
    const records: Rec[] = [];
    let bytes = Buffer.byteLength(active);
    for (const bytesOf of segments.values()) bytes += bytesOf.length;
    for (const content of [...[...segments.keys()].sort().map((path) => segments.get(path)!.toString('utf8')), active]) {
      for (const { value } of (await parseRecordText(content, listKey, file)).records) {
        if (seen.has(String(value.id))) continue;
        seen.add(String(value.id));
        records.push(value);
      }
    }
    return { records, bytes };
  };

  const chain = await family(LOGS.decisions.file, LOGS.decisions.listKey);
  const decisions = projectDecisions(chain.records);
  const events = (await family(LOGS.events.file, LOGS.events.listKey)).records;
  const lastHandoff = [...events].reverse().find((event) => event.type === 'handoff');
  const backlog = await mergeBacklogText(text(trees.base, FILES.backlog), text(trees.ours, FILES.backlog), text(trees.theirs, FILES.backlog));
  const tasks = (await parseRecordText(backlog, 'items', FILES.backlog)).records.map(({ value }) => taskSchema.parse(value));
  const learnings = projectLearnings((await family(LOGS.learnings.file, LOGS.learnings.listKey)).records);
  return { decisions, decisionBytes: chain.bytes, tasks, learnings, ...(lastHandoff ? { handoff: handoffOf(lastHandoff) } : {}) };
}

