/**
 * The programmatic API: the same engine the CLI uses, without commander. For tests and for
 * anyone embedding agentstate.
 */
export { AgentstateError, Exit } from './errors.js';
export { openContext, StateContext, type GlobalOptions } from './store/context.js';
export { mutate } from './store/mutate.js';
export { Transaction } from './store/transaction.js';
export { acquireLock, withLock, type Lock, type LockHolder } from './store/lock.js';
export { appendDurably, writeFileAtomic } from './store/durable.js';
export { appendLogRecord, appendCatchRow, readLog, readCatches } from './store/logs.js';
export { readBacklog } from './store/backlog-file.js';
export { readRuntime } from './store/runtime-file.js';
export { readDecisionViews } from './store/decisions-file.js';
export { readLearningViews } from './store/learnings-file.js';
export { checkDecisions } from './store/expectations.js';
export { buildSnapshot } from './store/snapshot.js';
export { checkFiles, type Finding } from './store/integrity.js';
export { commitFiles, type CommitOutcome } from './git/commit.js';
export { render, type Snapshot } from './core/briefing.js';
export { projectDecisions, type DecisionView } from './core/decisions.js';
export { projectLearnings, rankLearnings, type LearningView } from './core/learnings.js';
export { verdictOf, type DecisionCheck, type Expectation } from './core/expectations.js';
export { readyTasks, findCycle } from './core/backlog.js';
export { mergeLogLines, mergeTasks, mergeRuntime } from './core/merge.js';
export * from './core/schemas.js';
