import type { CommandRun } from '../command.js';
import { Exit } from '../errors.js';
import { openContext } from '../store/context.js';
import { markTold, untoldLossesNow, withoutKeys } from '../store/lease.js';
import { syncState, type SyncReport } from '../store/sync.js';

export interface SyncOptions {
  remote?: string;
  rebase?: boolean;
}

/**
 * `agentstate sync [--remote R] [--rebase]`: fetch, merge with the drivers, push; done only when
 * the remote holds our records. Exit 4 when the merge showed that this agent lost a claim to an
 * earlier one on another clone ("you lost task t-… to <agent>; stop working on it"), once per loss.
 */
export const run: CommandRun<SyncOptions> = async ({ options, globals }) => {
  const context = await openContext(globals);
  const report = await syncState(context, { ...(options.remote ? { remote: options.remote } : {}), rebase: options.rebase === true });
  const losses = await untoldLossesNow(context);
  markTold(context, losses.map((loss) => loss.key));
  const warnings = [...losses.map((loss) => loss.message), ...context.warnings];
  return {
    data: { ...report, lost: withoutKeys(losses), warnings },
    warnings,
    exitCode: losses.length ? Exit.conflict : Exit.ok,
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
