import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { CommandRun } from '../command.js';
import { usageError } from '../errors.js';
import { findRepo } from '../git/repo.js';
import { cleanGitEnv } from '../git/run.js';
import { bootBlock, findBlock } from '../store/boot-file.js';
import { loadConfig } from '../store/context.js';
import { decisionIndexText } from '../store/decisions-file.js';
import { FILES, STATE_DIR } from '../store/layout.js';
import { mergeBacklogText, mergeLogText, mergeRuntimeText } from '../store/merge-files.js';
import { commitTimes, mergedSources } from '../store/merge-sources.js';
import { bootSnapshotOf } from '../store/snapshot.js';

const KINDS = ['log', 'tsv', 'backlog', 'runtime', 'derived', 'boot'] as const;
type Kind = (typeof KINDS)[number];

/**
 * `agentstate merge-driver <kind> %O %A %B %P`, run by git for state files (SPEC section 8).
 * Writes the merge into %A and exits 0. It fails safe: on any error it leaves git's ordinary
 * conflict (markers from `git merge-file`) and exits 1, never a half-merged state file.
 */
export const run: CommandRun = async ({ args }) => {
  const [kind, basePath = '', oursPath = '', theirsPath = '', filePath = ''] = args;
  if (!KINDS.includes(kind as Kind) || !theirsPath) throw usageError('usage: agentstate merge-driver <log|tsv|backlog|runtime|derived|boot> %O %A %B %P');
  const read = (path: string) => readFileSync(path, 'utf8');
  try {
    const { text, clean } = await merge(kind as Kind, read(basePath), read(oursPath), read(theirsPath), filePath);
    writeFileSync(oursPath, text);
    return { data: { merged: filePath, clean }, exitCode: clean ? 0 : 1 };
  } catch (error) {
    spawnSync('git', ['merge-file', '-L', 'ours', '-L', 'base', '-L', 'theirs', oursPath, basePath, theirsPath], { env: cleanGitEnv() });
    return { data: { merged: filePath, clean: false, error: (error as Error).message }, exitCode: 1, warnings: [`merge driver could not merge ${filePath}: ${(error as Error).message}; left an ordinary conflict`] };
  }
};

async function merge(kind: Kind, base: string, ours: string, theirs: string, path: string): Promise<{ text: string; clean: boolean }> {
  switch (kind) {
    case 'log':
      return { text: await mergeLogText(base, ours, theirs, 'log', listKeyOf(path)), clean: true };
    case 'tsv':
      return { text: await mergeLogText(base, ours, theirs, 'tsv'), clean: true };
    case 'backlog':
      return { text: await mergeBacklogText(base, ours, theirs), clean: true };
    case 'runtime':
      return { text: mergeRuntimeText(base, ours, theirs, commitTimes(locate('').repoRoot, path)), clean: true };
    case 'derived':
      return { text: await mergedIndex(path, ours), clean: true };
    case 'boot':
      return mergeBootFile(base, ours, theirs, path);
  }
}

/** events.yaml -> events; archive/decisions.<stamp>.yaml -> decisions; archive/backlog.<stamp>.yaml (sealed tasks) -> items. */
function listKeyOf(path: string): string {
  const stem = basename(path).split('.')[0] ?? 'events';
  return stem === 'backlog' ? 'items' : stem;
}

/** Git runs drivers at the top of the work tree; %P is relative to it. */
function locate(stateDir: string): { repoRoot: string; stateDir: string } {
  return { repoRoot: findRepo(process.cwd())?.root ?? process.cwd(), stateDir };
}

/** decisions-index.yaml from the merged chain; without the other side's commit (a rebase), ours is kept and `doctor --repair` regenerates it. */
async function mergedIndex(path: string, ours: string): Promise<string> {
  const { repoRoot, stateDir } = locate(dirname(path));
  const sources = await mergedSources(repoRoot, stateDir);
  if (!sources) return ours;
  const config = await loadConfig(join(repoRoot, stateDir, FILES.config));
  return decisionIndexText(sources.decisions, config.decisions.recent, sources.decisionBytes, sources.decisionActive);
}

const PLACEHOLDER = '<!-- agentstate:block -->';

/** AGENTS.md: the user's text merges as git would merge it; the block is regenerated from the merged state. */
async function mergeBootFile(base: string, ours: string, theirs: string, path: string): Promise<{ text: string; clean: boolean }> {
  const strip = (text: string) => {
    const block = findBlock(text);
    return block ? text.slice(0, block.start) + PLACEHOLDER + text.slice(block.end) : text;
  };
  const { repoRoot, stateDir } = locate(join(dirname(path), STATE_DIR));
  const sources = await mergedSources(repoRoot, stateDir);
  let block = findBlock(ours)?.block ?? findBlock(theirs)?.block ?? '';
  if (sources) {
    const config = await loadConfig(join(repoRoot, stateDir, FILES.config));
    block = bootBlock(bootSnapshotOf(sources.decisions, sources.tasks, sources.handoff, sources.learnings, true), config.boot.budget);
  }
  const files = [ours, base, theirs].map(strip);
  const merged = mergeText(files[0]!, files[1]!, files[2]!);
  const text = merged.text.includes(PLACEHOLDER) ? merged.text.replace(PLACEHOLDER, block) : `${merged.text}${merged.text.endsWith('\n') ? '' : '\n'}\n${block}\n`;
  return { text, clean: merged.clean };
}

/** git's own three-way text merge, markers and all. */
function mergeText(ours: string, base: string, theirs: string): { text: string; clean: boolean } {
  const dir = mkdtempSync(join(tmpdir(), 'agentstate-merge-'));
  try {
    const [o, b, t] = ['ours', 'base', 'theirs'].map((name) => join(dir, name));
    writeFileSync(o!, ours);
    writeFileSync(b!, base);
    writeFileSync(t!, theirs);
    const result = spawnSync('git', ['merge-file', '-p', '-L', 'ours', '-L', 'base', '-L', 'theirs', o!, b!, t!], { env: cleanGitEnv(), encoding: 'utf8' });
    return { text: result.stdout, clean: result.status === 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
