import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, baseEnv, cli, git, json, stateRepo } from '../helpers/cli.js';

/** Issue 16: inputs chosen to break secret scanning and attachments. Tokens are assembled at run time. */
const TOKEN = ['gh', 'p_', 'K3x9Lq2ZtW4mNc7VbR1sD8fH6jP0yA5eUoGi'].join('');
/** A JWT and a key assignment: the scanner finds them alone, not inside a message such as `--attach <jwt>: no such file`. */
const JWT = ['ey', 'JhbGciOiJIUzI1NiJ9', '.', 'ey', 'JzdWIiOiJ4Zt7pQw9xKm', '.', 'Zt7pQw9xKmZt7pQw9xKmZt7pQw9xKmZt7pQw9xKmab'].join('');
const KEY_LINE = ['api', '_key = ', 'Qv8rTz2mWx5nLk7pJh3gFd9sBc4'].join('');
const PEM = ['-----BEGIN RSA ', 'PRIVATE KEY-----\n', 'MIIEowIBAAKCAQEAx8fQ2kL9mZpT4rV7sW1yB3nC6dE8fG0hJ2kL4mN6pQ8rS0tU\n'.repeat(3), '-----END RSA ', 'PRIVATE KEY-----\n'].join('');

/** Every byte agentstate could have written: the work tree and every git object. */
function leaks(dir: string, secret: string): string[] {
  const found: string[] = [];
  const tree = spawnSync('grep', ['-rlF', secret, '.'], { cwd: dir, encoding: 'utf8' }).stdout.trim();
  if (tree) found.push(tree);
  const objects = spawnSync('git', ['cat-file', '--batch-all-objects', '--batch'], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 }).stdout;
  if (objects.includes(secret)) found.push('a git object');
  return found;
}

describe('secrets: no misses, no echoes', () => {
  it.each([
    ['log --data with a token as the key', ['log', 'x', '--data', `${TOKEN}=1`]],
    ['state set with a token as the key', ['state', 'set', `${TOKEN}=1`]],
    ['state set with a token as a nested key', ['state', 'set', `deploy.${TOKEN}=1`]],
    ['a password in a URL with an empty user name', ['state', 'set', 'cache=redis://:Zt7pQw9xKm@cache.internal:6379']],
    ['heartbeat with a token as --agent (runtime.json and the commit trailer)', ['heartbeat', '--agent', TOKEN]],
    ['backlog add with a token as --agent (the commit trailer)', ['backlog', 'add', 'a task', '--agent', TOKEN]],
  ])('refuses %s (exit 2), and the value is nowhere', (_, args) => {
    const dir = stateRepo();
    const before = git(dir, 'rev-parse', 'HEAD');
    const run = cli(dir, args);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/looks like a secret \((github-pat|password-in-url)\)/);
    expect(run.stderr).not.toContain(TOKEN);
    expect(run.stderr).not.toContain('Zt7pQw9xKm');
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(before);
    expect(leaks(dir, TOKEN)).toEqual([]);
    expect(leaks(dir, 'Zt7pQw9xKm')).toEqual([]);
  });

  it('refuses a token as AGENTSTATE_SESSION (the commit trailer), and it is nowhere', () => {
    const dir = stateRepo();
    const before = git(dir, 'rev-parse', 'HEAD');
    const run = cli(dir, ['backlog', 'add', 'a task'], { AGENTSTATE_SESSION: TOKEN });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/refused: AGENTSTATE_SESSION looks like a secret \(github-pat\)/);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(before);
    expect(leaks(dir, TOKEN)).toEqual([]);
  });

  it.each([
    ['a PEM where an option was expected', ['log', PEM]],
    ['a PEM as --data without =', ['log', 'x', '--data', PEM]],
    ['a token as state set without =', ['state', 'set', TOKEN]],
    ['a token as an id prefix', ['outcome', TOKEN, 'done']],
    ['a token as --commit', ['log', 'x', '--commit', TOKEN]],
    ['a JWT as --attach', ['log', 'x', '--attach', JWT]],
    ['a key assignment as --attach', ['log', 'x', '--attach', KEY_LINE]],
    ['a JWT as an id prefix', ['backlog', 'show', JWT]],
  ])('no error path echoes a secret: %s', (_, args) => {
    const dir = stateRepo();
    for (const json of [false, true]) {
      const run = cli(dir, json ? [...args, '--json'] : args);
      expect(run.code).toBeGreaterThan(0);
      expect(run.stderr + run.stdout).not.toContain('MIIEowIBAAKCAQEAx8fQ2kL9');
      expect(run.stderr + run.stdout).not.toContain(TOKEN);
      expect(run.stderr + run.stdout).not.toContain('Zt7pQw9xKmZt7pQw9xKm');
      expect(run.stderr + run.stdout).not.toContain('Qv8rTz2mWx5nLk7pJh3gFd9sBc4');
    }
  });

  it('the scanner refuses the JWT and the key assignment as values (so no message may echo them)', () => {
    const dir = stateRepo();
    for (const text of [JWT, KEY_LINE]) expect(cli(dir, ['log', text]).stderr).toMatch(/looks like a secret \((jwt|generic-api-key)\)/);
  });

  it('lets look-alikes through: scikit-learn branch names and AWS region words', () => {
    const dir = stateRepo();
    for (const text of ['sk-learn-pipeline-refactor-for-feature-engineering', 'ASIAPACIFICSOUTHEAST']) {
      const run = cli(dir, ['log', text]);
      expect(run.code, run.stderr).toBe(0);
    }
    expect(cli(dir, ['check']).code).toBe(0);
  });

  it('check finds a secret in a key written by hand', () => {
    const dir = stateRepo();
    cli(dir, ['log', 'x', '--data', `${TOKEN}=1`, '--allow-secret']);
    const events = join(dir, '.agentstate/events.yaml');
    writeFileSync(events, readFileSync(events, 'utf8').replace(',"allow_secret":true', ''));
    const run = cli(dir, ['check']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/events\.yaml:\d+: a key in data looks like a secret \(github-pat\)/);
    expect(run.stdout).not.toContain(TOKEN);
  });
});

describe('attachments: only regular files, bounded', () => {
  const refused = (dir: string, file: string, message: RegExp) => {
    const run = cli(dir, ['log', 'see attachment', '--attach', file]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(existsSync(join(dir, '.agentstate/blobs'))).toBe(false);
    expect(readFileSync(join(dir, '.agentstate/events.yaml'), 'utf8')).not.toContain('see attachment');
  };

  it('refuses /dev/zero at once (a character device)', () => {
    refused(stateRepo(), '/dev/zero', /--attach \/dev\/zero: a character device, not a regular file/);
  });

  it('refuses a FIFO without waiting for a writer', () => {
    const dir = stateRepo();
    spawnSync('mkfifo', [join(dir, 'pipe')]);
    // Not the cli() helper: a run that waits for a writer must fail the test, not hang the suite.
    const run = spawnSync(process.execPath, [BIN, 'log', 'see attachment', '--attach', 'pipe'], { cwd: dir, env: baseEnv(), encoding: 'utf8', timeout: 30_000 });
    expect(run.signal).toBeNull();
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--attach pipe: a FIFO \(named pipe\), not a regular file/);
    expect(existsSync(join(dir, '.agentstate/blobs'))).toBe(false);
  });

  it('refuses a directory', () => {
    const dir = stateRepo();
    refused(dir, '.git', /--attach \.git: a directory, not a regular file/);
  });

  it('refuses a 6 MiB file over limits.attach_bytes, with a hint to use git LFS or a link; a raised limit lets it in', () => {
    const dir = stateRepo();
    writeFileSync(join(dir, 'big.bin'), Buffer.alloc(6 * 1024 * 1024, 7));
    refused(dir, 'big.bin', /big\.bin is 6291456 bytes, over the 5242880-byte limit \(limits\.attach_bytes\)[\s\S]*git LFS[\s\S]*link/);
    const config = join(dir, '.agentstate/config.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('attach_bytes: 5242880', 'attach_bytes: 8000000'));
    const run = cli(dir, ['log', 'big one', '--attach', 'big.bin', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(json<{ event: { attachments: Array<{ bytes: number }> } }>(run).event.attachments[0]!.bytes).toBe(6291456);
  });

  it('finds a secret deep in an attachment, across the scan chunks', () => {
    const dir = stateRepo();
    const filler = 'log line without anything to hide\n'.repeat(31_000); // about 1 MiB: the token straddles a chunk edge
    writeFileSync(join(dir, 'trace.log'), filler.slice(0, (1 << 20) - 10) + TOKEN + '\n' + filler.slice(0, 1000));
    refused(dir, 'trace.log', /--attach trace\.log looks like it holds a secret \(github-pat\)/);
  });

  it('rejects limits.attach_bytes that is not a count, naming the setting', () => {
    const dir = stateRepo();
    const config = join(dir, '.agentstate/config.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('attach_bytes: 5242880', 'attach_bytes: lots'));
    const run = cli(dir, ['log', 'x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/limits\.attach_bytes: must be a whole number of bytes/);
  });
});
