/**
 * How hooks, merge drivers and agent settings run agentstate: resolved when they run, never a
 * path baked in at install time (an nvm switch or a moved checkout would break it). The
 * repository's own `node_modules/.bin/agentstate` first (a project that pins its version), then
 * `agentstate` on PATH; when neither exists, one line saying how to install it, and exit 127.
 * Git runs hooks and merge drivers at the top of the work tree, agent tools in the project
 * folder, so the relative path names the project's install.
 */
export const INSTALL_HINT = 'npm i -D agentstate-cli (or npm i -g agentstate-cli)';

const RESOLVER =
  'b=./node_modules/.bin/agentstate; [ -x "$b" ] || b=$(command -v agentstate) || ' +
  `{ echo "agentstate: not installed here; ${INSTALL_HINT}" >&2; exit 127; }; exec "$b" "$@"`;

/** A POSIX shell command line that runs `agentstate <args>`; `args` is spliced in as written (git fills in %O %A %B %P). */
export function launcherCommand(args: string): string {
  return `sh -c '${RESOLVER}' agentstate ${args}`;
}

/** The same as an argument vector, for settings that take a command and its arguments (MCP server entries). */
export function launcherArgv(args: string[]): string[] {
  return ['sh', '-c', RESOLVER, 'agentstate', ...args];
}
