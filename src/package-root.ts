import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed package's root (where package.json and bin/ are), wherever the build put this file. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'agentstate') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('agentstate package root not found');
    dir = parent;
  }
}

export const binPath = () => join(packageRoot(), 'bin', 'agentstate.js');

let version: string | undefined;
/** This agentstate's version (package.json), read once, only when a version must be compared or named. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  return version;
}
