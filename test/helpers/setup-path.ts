import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Hooks and merge drivers run `agentstate` resolved at run time (the repository's
 * node_modules/.bin, then PATH), as on a user's machine after `npm i -g agentstate-cli`. For the
 * tests, PATH gets an `agentstate` that runs this checkout's build; the tests of the installed
 * package (test/e2e/package.test.ts) take it off again.
 */
const BIN = resolve(import.meta.dirname, '../../bin/agentstate.js');
const dir = mkdtempSync(join(tmpdir(), 'agentstate-path-'));
writeFileSync(join(dir, 'agentstate'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
chmodSync(join(dir, 'agentstate'), 0o755);
process.env.PATH = `${dir}:${process.env.PATH ?? ''}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
