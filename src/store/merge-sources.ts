import { projectDecisions, type DecisionView } from '../core/decisions.js';
import { taskSchema, type Task } from '../core/schemas.js';
import type { Handoff } from '../core/briefing.js';
import { readTreeFiles } from '../git/blobs.js';
import { git } from '../git/run.js';
import { ARCHIVE_DIR, FILES, LOGS } from './layout.js';
import { mergeBacklogText, mergeLogText } from './merge-files.js';
import { parseRecordText } from './record-file.js';
import { handoffOf } from './snapshot.js';

/**
 * The merged sources of the derived files, computed inside a merge: git merges decisions-index.yaml
 * before decisions.yaml (and writes the work tree only at the end), so the derived drivers merge
 * the sources themselves, from ours (HEAD), theirs (GITHEAD_<sha>, which git sets for merges and
 * pulls) and their merge base, exactly as the source drivers do.
 */
export interface MergedSources {
  decisions: DecisionView[];
  /** Size of the merged chain (segments and active file), for the index's source_bytes. */
  decisionBytes: number;
  tasks: Task[];
  handoff?: Handoff;
}

type Rec = Record<string, unknown>;

export function theirsCommit(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const key = Object.keys(env).find((name) => /^GITHEAD_[0-9a-f]{40,64}$/.test(name));
  return key?.slice('GITHEAD_'.length);
}

export async function mergedSources(repoRoot: string, stateDir: string): Promise<MergedSources | undefined> {
  const theirs = theirsCommit();
  if (!theirs) return undefined;
  const baseSha = git(repoRoot, ['merge-base', 'HEAD', theirs]).stdout.trim();
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
  return { decisions, decisionBytes: chain.bytes, tasks, ...(lastHandoff ? { handoff: handoffOf(lastHandoff) } : {}) };
}

