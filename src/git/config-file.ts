import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Repo } from './repo.js';

/**
 * user.name read from git's config files directly: `git config` costs a process on the hot path.
 * Returns null when the files hold something only git itself resolves (includes, environment
 * overrides, unusual quoting), and the caller asks git.
 */
export function readUserName(repo: Repo | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined | null {
  if (env.GIT_CONFIG_GLOBAL !== undefined || env.GIT_CONFIG_SYSTEM !== undefined || env.GIT_CONFIG_COUNT !== undefined || env.GIT_CONFIG_PARAMETERS !== undefined) return null;
  const home = env.HOME ?? homedir();
  const files = [
    ...(env.GIT_CONFIG_NOSYSTEM ? [] : ['/etc/gitconfig']),
    join(env.XDG_CONFIG_HOME || join(home, '.config'), 'git', 'config'),
    join(home, '.gitconfig'),
    ...(repo ? [join(repo.commonDir, 'config')] : []),
  ];
  let name: string | undefined;
  for (const file of files) {
    if (!existsSync(file)) continue;
    const found = userNameIn(readFileSync(file, 'utf8'));
    if (found === null) return null;
    if (found !== undefined) name = found;
  }
  return name;
}

/** The last user.name in one config file's text; null when the file needs git to be read right. */
export function userNameIn(text: string): string | undefined | null {
  let section = '';
  let name: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]"\s]+)(\s+"[^"]*")?\]$/.exec(line);
    if (header) {
      section = (header[1] ?? '').toLowerCase() + (header[2] ? ' sub' : '');
      if (section.startsWith('include')) return null;
      continue;
    }
    if (line.startsWith('[')) return null;
    if (section !== 'user') continue;
    const entry = /^name\s*=\s*(.*)$/i.exec(line);
    if (!entry) continue;
    const value = (entry[1] ?? '').replace(/\s+[#;].*$/, '');
    if (/\\$/.test(value) || (value.includes('"') && !/^"[^"\\]*"$/.test(value))) return null;
    name = value.replace(/^"(.*)"$/, '$1').trim();
  }
  return name;
}
