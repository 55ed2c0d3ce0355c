import type { CommandRun } from '../command.js';
import { COLUMN_STATUS, COLUMNS, type Column } from '../core/board.js';
import { usageError } from '../errors.js';
import { openContext, type GlobalOptions } from '../store/context.js';
import { ARCHIVE_DIR } from '../store/layout.js';
import { readView, stateFingerprint } from '../store/view.js';
import { update, type TaskOptions } from './backlog.js';
import { parseCount } from './shared.js';

export interface ServeOptions {
  port?: string;
  write?: boolean;
}

/**
 * `agentstate serve`: the local web view (127.0.0.1 only, a random token in the URL). Read-only
 * unless --write; then a task can be moved between columns through `backlog update` itself: the
 * same lock, transaction, commit, validation, secret refusal and --expect-version check.
 */
export const run: CommandRun<ServeOptions> = async ({ options, globals }) => {
  const port = parseCount(options.port, '--port') ?? 0;
  if (port > 65535) throw usageError(`--port: ${port} is not a port (0-65535)`);
  const context = await openContext(globals);
  const write = options.write === true;
  const [{ startServer }, { pageHtml }] = await Promise.all([import('../web/server.js'), import('../web/page.js')]);
  const server = await startServer(
    {
      page: () => pageHtml(),
      view: async () => readView(await openContext(globals), { write }),
      ...(write ? { update: (id: string, changes: Record<string, unknown>) => moveTask(globals, id, changes) } : {}),
      fingerprint: () => stateFingerprint(context),
      watchDirs: [context.stateDir, context.path(ARCHIVE_DIR)],
    },
    port,
  );
  // Stop cleanly on Ctrl-C or a kill: with the server closed, nothing keeps the process alive.
  const stop = () => void server.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    data: { url: server.url, port: server.port, token: server.token, write },
    quiet: server.url,
    human: () => `${server.url}\n${write ? 'read-write: tasks can be moved between columns' : 'read-only (start with --write to move tasks)'}; Ctrl-C stops it`,
  };
};

const FIELDS = ['column', 'status', 'priority', 'title', 'notes', 'expect_version'];

/** A change from the page, as the options `backlog update` takes. */
async function moveTask(globals: GlobalOptions, id: string, changes: Record<string, unknown>): Promise<unknown> {
  const unknown = Object.keys(changes).find((key) => !FIELDS.includes(key));
  if (unknown !== undefined) throw usageError(`unknown field "${unknown}"`, `send any of ${FIELDS.join(', ')}`);
  const text = (key: string) => {
    const value = changes[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' && !(key === 'expect_version' && typeof value === 'number')) throw usageError(`${key}: must be a ${key === 'expect_version' ? 'number' : 'string'}`);
    return String(value);
  };
  const column = text('column');
  if (column !== undefined && !(COLUMNS as readonly string[]).includes(column)) throw usageError(`column: "${column}" is not one of ${COLUMNS.join(', ')}`);
  const options: TaskOptions = {};
  const status = column !== undefined ? COLUMN_STATUS[column as Column] : text('status');
  if (status !== undefined) options.status = status;
  for (const [key, option] of [['priority', 'priority'], ['title', 'title'], ['notes', 'note'], ['expect_version', 'expectVersion']] as const) {
    const value = text(key);
    if (value !== undefined) options[option] = value;
  }
  const output = await update({ args: [id], options, globals });
  return output.data;
}
