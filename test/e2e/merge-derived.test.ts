import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, json, read } from '../helpers/cli.js';
import { cluster, ok, pull, push } from '../helpers/clones.js';

const handoffOf = (dir: string) => json<{ handoff?: { id: string } }>(cli(dir, ['resume', '--format', 'json'])).handoff?.id;
const blockHandoff = (dir: string) => /### Latest handoff \([^,]*, [^,]*, (ev-[0-9a-z]+)\)/.exec(read(dir, 'AGENTS.md'))?.[1];

describe('derived state after a merge', () => {
  it('the latest handoff is the latest by time, in resume and in the AGENTS.md block, across a sealed segment', () => {
    const { alice, bob } = cluster(['alice', 'bob'], { config: (text) => text.replace('seal_bytes: 1048576', 'seal_bytes: 900') });
    ok(bob, 'handoff', '--note', 'bob, earlier');
    const later = ok(alice, 'handoff', '--note', 'alice, later');
    for (let i = 0; i < 6; i++) ok(alice, 'log', `alice ${i} ${'x'.repeat(80)}`);
    expect(readdirSync(join(alice, '.agentstate/archive')).some((name) => name.startsWith('events.'))).toBe(true);
    expect(read(alice, '.agentstate/events.yaml')).not.toContain(later);
    push(alice);
    const merged = pull(bob);
    expect(merged.status, merged.stderr).toBe(0);
    expect(handoffOf(bob)).toBe(later);
    expect(blockHandoff(bob)).toBe(later);
  });
});
