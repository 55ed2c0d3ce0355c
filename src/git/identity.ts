import { git } from './run.js';
import type { GitSettings } from './config-file.js';
import type { Repo } from './repo.js';

/**
 * Who a commit of ours is by: git's own rules (GIT_AUTHOR_* / GIT_COMMITTER_* variables, then
 * author.* / committer.* / user.* settings). When git has no identity at all (a bare CI
 * machine), the commit is made as `agentstate <agentstate@localhost>` and the caller says so.
 */
export const FALLBACK_NAME = 'agentstate';
export const FALLBACK_EMAIL = 'agentstate@localhost';

export interface Identity {
  author: string; // "Name <email> 1700000000 +0100"
  committer: string;
  fallback: boolean;
}

export function commitIdentity(repo: Repo, settings: GitSettings | null, env: NodeJS.ProcessEnv = process.env, now = new Date()): Identity {
  const stamp = `${Math.floor(now.getTime() / 1000)} ${timezone(now)}`;
  const dated = env.GIT_AUTHOR_DATE !== undefined || env.GIT_COMMITTER_DATE !== undefined;
  const role = (kind: 'author' | 'committer'): string | undefined => {
    const upper = kind.toUpperCase();
    const name = env[`GIT_${upper}_NAME`] ?? settings?.get(`${kind}.name`) ?? settings?.get('user.name');
    const email = env[`GIT_${upper}_EMAIL`] ?? settings?.get(`${kind}.email`) ?? settings?.get('user.email') ?? env.EMAIL;
    if (settings === null || dated || !name || !email) return askGit(repo, `GIT_${upper}_IDENT`);
    return `${clean(name)} <${clean(email)}> ${stamp}`;
  };
  const author = role('author');
  const committer = role('committer');
  const fallback = `${FALLBACK_NAME} <${FALLBACK_EMAIL}> ${stamp}`;
  return { author: author ?? fallback, committer: committer ?? fallback, fallback: !author || !committer };
}

function askGit(repo: Repo, variable: string): string | undefined {
  const result = git(repo.root, ['var', variable]);
  return result.status === 0 && result.stdout.trim() ? result.stdout.trim() : undefined;
}

/** git strips angle brackets and line breaks from names and emails. */
const clean = (text: string) => text.replace(/[<>\n]/g, '').trim();

function timezone(now: Date): string {
  const offset = -now.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const minutes = Math.abs(offset);
  return `${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}${String(minutes % 60).padStart(2, '0')}`;
}
