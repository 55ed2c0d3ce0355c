import { operationInProgress, type Repo } from './repo.js';

/**
 * A git operation that merges files is in progress (a merge, a rebase, a cherry-pick, a revert).
 * Its conflicts belong to git: a repair would take one side of a state file and set the other aside,
 * so `doctor --repair` leaves the state alone, and `check` says to finish or abort it instead.
 */
const MERGING = new Set(['merge', 'rebase', 'cherry-pick', 'revert']);

export function mergingOperation(repo: Repo | undefined): string | undefined {
  const operation = repo ? operationInProgress(repo) : undefined;
  return operation && MERGING.has(operation) ? operation : undefined;
}

/** What to do: finish or abort the operation (and register the drivers first when they are missing). */
export function finishAdvice(operation: string, driversMissing: boolean): string {
  const finish = `resolve the conflicts and run \`git ${operation} --continue\`, or run \`git ${operation} --abort\``;
  return driversMissing
    ? `a git ${operation} is in progress and the merge drivers are not registered in this clone: run \`git ${operation} --abort\`, \`agentstate hooks install\`, and ${operation} again (or resolve the conflicts by hand and run \`git ${operation} --continue\`)`
    : `a git ${operation} is in progress: ${finish}`;
}
