import { parentPort, workerData } from 'node:worker_threads';
import { rewritesIn, type LogFamily } from './history.js';

/**
 * The history walk on a second thread, so that `check` validates the files and walks the history
 * at the same time (on a fresh clone of a large state, each takes about a second). Loaded from
 * dist/ by src/store/history-check.ts.
 */
const { root, revisions, families } = workerData as { root: string; revisions: string[]; families: LogFamily[] };
parentPort!.postMessage(rewritesIn(root, revisions, families) ?? null);
