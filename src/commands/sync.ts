import type { CommandRun } from '../command.js';
import { Exit } from '../errors.js';
import { openContext } from '../store/context.js';
import { tellLosses } from '../store/lease.js';
import { syncState, type SyncReport } from '../store/sync.js';

export interface SyncOptions {
  remote?: string;
  rebase?: boolean;
}

/**
 * `agentstate sync [--remote R] [--rebase]`: fetch, merge with the drivers, push; done only when
 * the remote holds our records. It says every claim this agent lost to an earlier one on another
 * clone while the winner still holds it ("you lost task t-… to <agent>; stop working on it"), and
 * exits 4 when one of them is news (once per loss on this clone).
 */
export const run: CommandRun<SyncOptions> = async ({ options, globals }) => {
  const context = await openContext(globals);
  const report = await syncState(context, { ...(options.remote ? { remote: options.remote } : {}), rebase: options.rebase === true });
  const losses = await tellLosses(context);
  const warnings = [...losses.messages, ...context.warnings];
  return {
    data: { ...report, lost: losses.lost, warnings },
    warnings,
    exitCode: losses.anyNew ? Exit.conflict : Exit.ok,
    quiet: report.head,
    human: () => describe(report),
  };
};

function describe(report: SyncReport): string {
  const where = `${report.remote}/${report.remote_branch}`;
  const moved = Object.entries(report.files)
    .filter(([, file]) => file.in || file.out)
    .map(([file, counts]) => `  ${file}: ${counts.in} in, ${counts.out} out (${counts.before} -> ${counts.after} records)`);
  const head = `HEAD ${report.head.slice(0, 7)}`;
  const retried = report.retries ? `, after ${report.retries} rejected push${report.retries > 1 ? 'es' : ''}` : '';
  const summary = report.pushed
    ? `synced with ${where}: ${report.commits.in} commit(s) in, ${report.commits.out} out (${report.integrated}${retried}); ${head}`
    : `already in sync with ${where}${report.commits.in ? ` after taking ${report.commits.in} commit(s) in (${report.integrated})` : ''}; ${head}`;
  return [summary, ...moved].join('\n');
}
