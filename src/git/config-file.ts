import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Repo } from './repo.js';

/**
 * A few git settings (user.name, user.email, commit.gpgSign, …) read from git's config files
 * directly: `git config` costs a process on the hot path of every command. Returns null when the
 * files hold something only git itself resolves (includes, environment overrides, subsections
 * of the keys we read, unusual quoting): the caller then asks git.
 */
export type GitSettings = Map<string, string>;

export function readGitSettings(repo: Repo | undefined, env: NodeJS.ProcessEnv = process.env): GitSettings | null {
  if (env.GIT_CONFIG_GLOBAL !== undefined || env.GIT_CONFIG_SYSTEM !== undefined || env.GIT_CONFIG_COUNT !== undefined || env.GIT_CONFIG_PARAMETERS !== undefined) return null;
  const home = env.HOME ?? homedir();
  const files = [
    ...(env.GIT_CONFIG_NOSYSTEM ? [] : ['/etc/gitconfig']),
    join(env.XDG_CONFIG_HOME || join(home, '.config'), 'git', 'config'),
    join(home, '.gitconfig'),
    ...(repo ? [join(repo.commonDir, 'config')] : []),
    ...(repo && repo.gitDir !== repo.commonDir ? [join(repo.gitDir, 'config.worktree')] : []),
  ];
  const settings: GitSettings = new Map();
  for (const file of files) {
    if (!existsSync(file)) continue;
    const found = settingsIn(readFileSync(file, 'utf8'));
    if (found === null) return null;
    for (const [key, value] of found) settings.set(key, value);
  }
  return settings;
}

/** The plain `section.key = value` settings of one config file's text (later wins); null when git is needed to read it right. */
export function settingsIn(text: string): GitSettings | null {
  let section = '';
  const settings: GitSettings = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]"\s]+)(\s+"[^"]*")?\]$/.exec(line);
    if (header) {
      const name = (header[1] ?? '').toLowerCase();
      if (name.startsWith('include')) return null;
      section = header[2] ? `${name} sub` : name;
      continue;
    }
    if (line.startsWith('[')) return null;
    if (section === '' || section.endsWith(' sub')) continue;
    const entry = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (!entry) continue;
    const value = (entry[2] ?? 'true').replace(/\s+[#;].*$/, '');
    if (/\\$/.test(value) || (value.includes('"') && !/^"[^"\\]*"$/.test(value))) return null;
    settings.set(`${section}.${(entry[1] ?? '').toLowerCase()}`, value.replace(/^"(.*)"$/, '$1').trim());
  }
  return settings;
}

/** git's boolean spelling: true/yes/on/1, false/no/off/0/empty. */
export function gitBoolean(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const lower = value.toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(lower)) return true;
  if (['false', 'no', 'off', '0', ''].includes(lower)) return false;
  return undefined;
}
