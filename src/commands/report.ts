import type { CommandRun } from '../command.js';
import { usageError } from '../errors.js';
import { openContext } from '../store/context.js';
import { writeReport } from '../store/report-file.js';
import { readView } from '../store/view.js';

export interface ReportOptions {
  html?: string;
}

/** `agentstate report --html FILE`: the web view as one static file (for CI artifacts); --json: the view as data. */
export const run: CommandRun<ReportOptions> = async ({ options, globals }) => {
  if (options.html === undefined && !globals.json) throw usageError('report: say where to write it with --html FILE', 'or pass --json for the same view as data');
  const context = await openContext(globals);
  const view = await readView(context, { write: false });
  if (options.html === undefined) return { data: { view }, human: () => '' };
  const { pageHtml } = await import('../web/page.js');
  const written = writeReport(options.html, pageHtml(view));
  return {
    data: { file: written.path, bytes: written.bytes, warnings: context.warnings },
    quiet: written.path,
    warnings: context.warnings,
    human: () => `${written.path} (${Math.ceil(written.bytes / 1024)} KiB)`,
  };
};
