import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';

const helper = (name: string) => resolve(import.meta.dirname, '../helpers', name);

function runNode(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

/** A pid that certainly belongs to no running process: one that just exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(child.stdout.trim());
}

describe('the state lock', () => {
  it('never has two holders: 16 contending processes, stale locks planted by a crashed-holder simulator', async () => {
    const dir = tempDir();
    const lock = join(dir, 'state.lock');
    const marker = join(dir, 'holder');
    const counter = join(dir, 'counter');
    const violations = join(dir, 'violations');
    writeFileSync(counter, '0');
    writeFileSync(violations, '');
    const dead = deadPid();
    // Start with a stale lock already in place.
    writeFileSync(lock, JSON.stringify({ pid: dead, host: hostname(), since: new Date().toISOString(), nonce: 'initial' }));
    const workers = 16;
    const rounds = 40;
    const planter = runNode([helper('lock-planter.mjs'), lock, String(dead), '3000']);
    const results = await Promise.all(
      Array.from({ length: workers }, () => runNode([helper('lock-worker.mjs'), lock, marker, counter, violations, String(rounds)])),
    );
    const planted = Number((await planter).stdout.trim());
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(violations, 'utf8')).toBe('');
    expect(Number(readFileSync(counter, 'utf8'))).toBe(workers * rounds);
    expect(planted).toBeGreaterThan(0);
    // The planter may have left one last stale lock; nobody else's lock is left behind.
    if (existsSync(lock)) expect(JSON.parse(readFileSync(lock, 'utf8')).pid).toBe(dead);
  });
});
