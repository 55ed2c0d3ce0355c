import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, baseEnv, cli, commitCount, git, json, read, stateRepo } from '../helpers/cli.js';
import { startServe, type Served } from '../helpers/serve.js';

const AWS_KEY = ['AKIA', 'Z7QW', 'E4RT', 'Y6UI', 'O2PL'].join('');

const ok = (dir: string, args: string[]) => {
  const run = cli(dir, args);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.trim();
};

interface ApiError {
  error: { code: number; message: string; hint: string | null };
}

/** A request with any headers (fetch will not send another Host). */
function raw(served: Served, path: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: served.port, path, method, headers }, (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const post = (served: Served, id: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${served.base}/api/tasks/${id}`, { method: 'POST', headers: { 'x-agentstate-token': served.token, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('serve: the JSON API', () => {
  let dir: string;
  let task: string;
  let readOnly: Served;
  let writable: Served;
  beforeAll(async () => {
    dir = stateRepo();
    task = ok(dir, ['backlog', 'add', 'Warm the cache', '--priority', 'P1']);
    [readOnly, writable] = await Promise.all([startServe(dir), startServe(dir, ['--write', '--agent', 'web-user'])]);
  });
  afterAll(async () => {
    // SIGTERM stops the server cleanly: exit 0.
    expect(await readOnly.stop()).toBe(0);
    expect(await writable.stop()).toBe(0);
  });

  it('listens on 127.0.0.1 only', () => {
    const port = readOnly.port.toString(16).toUpperCase().padStart(4, '0');
    const listening = readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[1]?.endsWith(`:${port}`) && fields[3] === '0A');
    expect(listening.map((fields) => fields[1])).toEqual([`0100007F:${port}`]);
    expect(readOnly.url).toBe(`http://127.0.0.1:${readOnly.port}/?token=${readOnly.token}`);
    expect(readOnly.token).toMatch(/^[0-9a-f]{32}$/);
    expect(writable.token).not.toBe(readOnly.token);
  });

  it('answers only with the token, and only to its own Host', async () => {
    expect((await fetch(`${readOnly.base}/`)).status).toBe(403);
    expect((await fetch(`${readOnly.base}/api/view?token=${'0'.repeat(32)}`)).status).toBe(403);
    const page = await fetch(readOnly.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
    const view = await fetch(`${readOnly.base}/api/view`, { headers: { 'x-agentstate-token': readOnly.token } });
    expect(((await view.json()) as { board: { columns: { ready: Array<{ id: string }> } } }).board.columns.ready.map((card) => card.id)).toEqual([task]);
    const rebound = await raw(readOnly, `/api/view?token=${readOnly.token}`, { host: `attacker.example:${readOnly.port}` });
    expect(rebound.status).toBe(403);
    expect((JSON.parse(rebound.body) as ApiError).error.message).toContain('wrong Host header');
  });

  it('is read-only without --write: a move is refused and nothing is written', async () => {
    const before = read(dir, '.agentstate/backlog.yaml');
    const commits = commitCount(dir);
    const response = await post(readOnly, task, { column: 'done' });
    expect(response.status).toBe(403);
    expect(((await response.json()) as ApiError).error.message).toContain('start it with `agentstate serve --write`');
    expect(read(dir, '.agentstate/backlog.yaml')).toBe(before);
    expect(commitCount(dir)).toBe(commits);
  });

  it('with --write, moves a task through backlog update: one commit, the version checked', async () => {
    const response = await post(writable, task, { column: 'active', expect_version: 1 });
    expect(response.status).toBe(200);
    const moved = (await response.json()) as { task: { status: string; version: number }; commit: { status: string } };
    expect(moved.task).toMatchObject({ status: 'active', version: 2 });
    expect(moved.commit.status).toBe('committed');
    expect(git(dir, 'log', '-1', '--format=%s%n%b')).toMatch(new RegExp(`^agentstate: backlog update ${task} active: Warm the cache\\n[\\s\\S]*Agentstate-Agent: web-user`));
    expect(json<{ task: { status: string } }>(cli(dir, ['backlog', 'show', task, '--json'])).task.status).toBe('active');
  });

  it.each([
    ['a stale version', { column: 'done', expect_version: 1 }, ['--status', 'done', '--expect-version', '1'], 409, 4],
    // AWS's documented example key (…EXAMPLE) is allowlisted like gitleaks does: a key id built at run time.
    ['a secret', { title: `key ${AWS_KEY}` }, ['--title', `key ${AWS_KEY}`], 400, 2],
    ['a status that does not exist', { status: 'doing' }, ['--status', 'doing'], 400, 2],
  ])('refuses %s with the CLI’s own message, writing nothing', async (_, body, cliArgs, status, code) => {
    const before = read(dir, '.agentstate/backlog.yaml');
    const commits = commitCount(dir);
    const response = await post(writable, task, body);
    expect(response.status).toBe(status);
    const error = ((await response.json()) as ApiError).error;
    const fromCli = json<ApiError>(cli(dir, ['backlog', 'update', task, ...cliArgs, '--json'])).error;
    expect(error).toEqual(fromCli);
    expect(error.code).toBe(code);
    expect(read(dir, '.agentstate/backlog.yaml')).toBe(before);
    expect(commitCount(dir)).toBe(commits);
  });

  it('says what is wrong with a request', async () => {
    const unknown = await post(writable, 't-nosuchtask', { column: 'done' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as ApiError).error).toEqual(json<ApiError>(cli(dir, ['backlog', 'update', 't-nosuchtask', '--status', 'done', '--json'])).error);
    const field = await post(writable, task, { owner: 'me' });
    expect(field.status).toBe(400);
    expect(((await field.json()) as ApiError).error.message).toBe('unknown field "owner"');
    const column = await post(writable, task, { column: 'later' });
    expect(((await column.json()) as ApiError).error.message).toBe('column: "later" is not one of ready, active, blocked, done');
    const form = await fetch(`${writable.base}/api/tasks/${task}`, { method: 'POST', headers: { 'x-agentstate-token': writable.token, 'content-type': 'text/plain' }, body: 'status=done' });
    expect(form.status).toBe(415);
    expect((await post(writable, task, { column: 'done' }, { origin: 'http://attacker.example' })).status).toBe(403);
    expect((await fetch(`${writable.base}/nothing?token=${writable.token}`)).status).toBe(404);
    // A key pasted where an id or a column was expected is not sent back, as the CLI does not print it.
    const pasted = `ghp_${'a1B2c3D4e5'.repeat(4)}`;
    for (const [id, body] of [[pasted, { column: 'done' }], [task, { column: pasted }]] as const) {
      const answer = (await (await post(writable, id, body)).json()) as ApiError;
      expect(answer.error.code).toBe(2);
      expect(answer.error.message).toContain('[redacted: github-pat]');
      expect(JSON.stringify(answer)).not.toContain('ghp_');
    }
  });

  it('tells the page when a state file changes', async () => {
    const controller = new AbortController();
    const response = await fetch(`${readOnly.base}/api/stream?token=${readOnly.token}`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    const change = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return false;
        received += decoder.decode(value);
        if (received.includes('event: change')) return true;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received).not.toContain('event: change');
    ok(dir, ['log', 'something happened']);
    const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), 5000));
    expect(await Promise.race([change, timeout])).toBe(true);
    controller.abort();
  });

  it.each([
    [['serve', '--port', '70000'], 2, '--port: 70000 is not a port (0-65535)'],
    [['report'], 2, 'report: say where to write it with --html FILE'],
    [['report', '--html', '/nonexistent-dir/x.html'], 2, '--html: the folder /nonexistent-dir does not exist'],
  ])('refuses %j with exit %i', (args, code, message) => {
    const run = cli(dir, args);
    expect(run.code).toBe(code);
    expect(run.stderr.split('\n')[0]).toBe(`agentstate: ${message}`);
  });

  it('a failure of the file system during a move is not a bug: the CLI\'s one line and hint, code 1', async () => {
    const broken = stateRepo();
    const id = ok(broken, ['backlog', 'add', 'Move me']);
    const served = await startServe(broken, ['--write']);
    try {
      // The clone's local folder is a file: taking the lock fails with EEXIST.
      rmSync(join(broken, '.git/agentstate'), { recursive: true, force: true });
      writeFileSync(join(broken, '.git/agentstate'), 'not a folder\n');
      const response = await post(served, id, { column: 'done' });
      const body = (await response.json()) as ApiError;
      expect(body.error).toEqual({ code: 1, message: 'mkdir .git/agentstate: something else is already at that path (EEXIST)', hint: 'move it aside; `agentstate doctor` checks the state directory' });
    } finally {
      await served.stop();
    }
  });

  it('says so when the port is taken, and exits', () => {
    // A timeout: a server that failed to start once stayed alive on its timers.
    const run = spawnSync(process.execPath, [BIN, 'serve', '--port', String(readOnly.port)], { cwd: dir, env: baseEnv(), encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`port ${readOnly.port} is in use`);
  });

  it('report --json gives the view as data', () => {
    const view = json<{ view: { board: { columns: Record<string, unknown[]> } } }>(cli(dir, ['report', '--json'])).view;
    expect(Object.keys(view.board.columns)).toEqual(['ready', 'active', 'blocked', 'done']);
  });
});
