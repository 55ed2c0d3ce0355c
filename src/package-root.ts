import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** agentstate's own npm name: the package root is the nearest package.json that carries it. */
export const PACKAGE_NAME = 'agentstate-cli';

interface Manifest {
  name?: string;
  version?: string;
}

/** The installed package's manifest, wherever the build put this file (never the host project's). */
function ownManifest(): { root: string; manifest: Manifest } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
      if (manifest.name === PACKAGE_NAME) return { root: dir, manifest };
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${PACKAGE_NAME} package root not found`);
    dir = parent;
  }
}

export const packageRoot = () => ownManifest().root;

/** `agentstate --version`: this package's version, not that of the project it runs in. */
export function packageVersion(): string {
  try {
    return ownManifest().manifest.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
