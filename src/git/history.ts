import { git } from './run.js';

/**
 * Append-only through history: in every commit since a check point, a record line removed from an
 * append-only log must reappear in a sealed segment added by the same commit (a seal moves
 * records, nothing else removes them), and a sealed segment never loses a line. Merge commits
 * are left to the merge driver.
 */
export interface HistoryFinding {
  commit: string;
  file: string;
  id: string;
}

export function rewrittenSince(root: string, from: string, paths: { logs: string[]; archive: string }): HistoryFinding[] | undefined {
  if (git(root, ['merge-base', '--is-ancestor', from, 'HEAD']).status !== 0) return undefined;
  const log = git(root, ['log', '--no-merges', '--format=%x00%H', '-p', '--unified=0', '--no-renames', '--no-color', `${from}..HEAD`, '--', ...paths.logs, paths.archive]);
  if (log.status !== 0) return undefined;
  const findings: HistoryFinding[] = [];
  for (const chunk of log.stdout.split('\0').slice(1)) {
    const sha = chunk.slice(0, chunk.indexOf('\n'));
    const removed: Array<{ file: string; line: string }> = [];
    const sealed = new Set<string>();
    let file = '';
    for (const line of chunk.split('\n')) {
      if (line.startsWith('+++ ') || line.startsWith('--- ')) {
        if (line.startsWith('+++ b/')) file = line.slice(6);
        else if (line.startsWith('--- a/')) file = line.slice(6);
        continue;
      }
      const inArchive = file.startsWith(`${paths.archive}/`);
      if (line.startsWith('-') && isRecord(line.slice(1))) removed.push({ file, line: line.slice(1) });
      else if (line.startsWith('+') && inArchive) sealed.add(line.slice(1));
    }
    for (const { file: where, line } of removed) {
      if (!where.startsWith(`${paths.archive}/`) && sealed.has(line)) continue;
      findings.push({ commit: sha, file: where, id: idOf(line) });
    }
  }
  return findings;
}

const isRecord = (line: string) => line.startsWith('- {') || /^(ev|ct|d|t)-[0-9a-z]+\t/.test(line);
const idOf = (line: string) => /"id":"([^"]+)"/.exec(line)?.[1] ?? line.split('\t')[0] ?? '?';
