import type { CommandRun } from '../command.js';
import { failure, notFoundError, usageError } from '../errors.js';
import { git, gitBytes } from '../git/run.js';
import { openContext } from '../store/context.js';
import { checkFiles } from '../store/integrity.js';
import { FILES, STATE_DIR } from '../store/layout.js';
import { mutate } from '../store/mutate.js';

export interface RestoreOptions {
  rev?: string;
}

const RESTORABLE = new Set<string>(Object.values(FILES).filter((name) => name !== FILES.gitignore));

/** `agentstate restore <file> [--rev REV]`: bring a state file back from git history in a new commit. */
export const run: CommandRun<RestoreOptions> = async ({ args, options, globals }) => {
  const name = (args[0] ?? '').replace(new RegExp(`^(\\./)?${STATE_DIR.replace('.', '\\.')}/`), '');
  if (!RESTORABLE.has(name)) throw usageError(`restore: "${args[0]}" is not a state file`, `one of: ${[...RESTORABLE].join(', ')}`);
  const context = await openContext(globals, { tolerateConfig: true });
  const repo = context.repo;
  if (!repo) throw failure('restore needs a git repository');
  const rel = context.display(context.path(name));
  const revisions = options.rev
    ? [options.rev]
    : git(repo.root, ['log', '--format=%H', '-n', '200', '--', rel]).stdout.split('\n').filter(Boolean);
  let chosen: { rev: string; content: Buffer } | undefined;
  for (const rev of revisions) {
    const blob = gitBytes(repo.root, ['show', `${rev}:${rel}`]);
    if (blob.status !== 0) {
      if (options.rev) throw notFoundError(`${rel} does not exist at ${rev}`);
      continue;
    }
    if (await isValid(context.display(context.stateDir), rel, blob.stdout)) {
      chosen = { rev, content: blob.stdout };
      break;
    }
    if (options.rev) throw failure(`${rel} at ${rev} is not valid either`, 'pick another revision with --rev');
  }
  if (!chosen) throw notFoundError(`no valid committed version of ${rel}`, 'look at `git log -- ' + rel + '`');
  const source = chosen;
  const { commit } = await mutate(context, 'restore', (tx) => {
    tx.replace(context.path(name), source.content);
    tx.touchBoot();
    tx.describe(`${name} from ${source.rev.slice(0, 7)}`);
  });
  return {
    data: { file: rel, rev: source.rev, commit, warnings: context.warnings },
    warnings: context.warnings,
    human: () => `restored ${rel} from ${source.rev.slice(0, 7)}${commit.status === 'committed' ? ` (commit ${commit.sha.slice(0, 7)})` : ''}`,
  };
};

/** A file version is valid when `check` finds nothing wrong with it on its own. */
async function isValid(stateDir: string, rel: string, content: Buffer): Promise<boolean> {
  const findings = await checkFiles({ stateDir, current: new Map([[rel, content]]), previous: new Map() });
  return !findings.some((finding) => finding.file === rel);
}
