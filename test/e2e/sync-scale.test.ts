import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module of the bench, shared with the test (no types)
import { syncCluster } from '../../bench/sync-cluster.mjs';
import { BIN } from '../helpers/cli.js';

interface ClusterResult {
  problems: string[];
  figures: Record<string, number>;
}

/**
 * The scale proof, small (`npm run bench` runs 6 clones x 20 rounds): one bare remote and three
 * clones, each a separate agent process looping claim -> log -> decide/outcome -> done -> sync at
 * the same time. A fresh clone afterwards holds every acknowledged record exactly once, no
 * conflict marker, passes check; every double claim is recorded and told to its loser.
 */
describe('many clones syncing at once', () => {
  it('3 clones x 5 rounds: nothing lost or doubled, check clean, every double claim detected and told to its loser', async () => {
    const result = (await syncCluster({ bin: resolve(BIN), clones: 3, rounds: 5 })) as ClusterResult;
    expect(result.problems).toEqual([]);
    expect(result.figures.acknowledged).toBe(3 * 5 * 3);
    expect(result.figures.records).toBe(result.figures.acknowledged);
    expect(result.figures.contested_tasks).toBeGreaterThanOrEqual(1);
    expect(result.figures.lost_claims).toBeGreaterThanOrEqual(2); // the task all three claimed first: two losers
    expect(result.figures.lost_claims_told).toBe(result.figures.lost_claims);
  });
});
