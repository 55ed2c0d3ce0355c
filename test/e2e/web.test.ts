import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, git, json, stateRepo, tempDir } from '../helpers/cli.js';
import { openBrowser } from '../helpers/browser.js';
import { startServe, type Served } from '../helpers/serve.js';

const ok = (dir: string, args: string[]) => {
  const run = cli(dir, args);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.trim();
};
const dayAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

describe('the web view in a real browser (Debian Chromium)', () => {
  let dir: string;
  let shots: string;
  let browser: BrowserContext;
  let served: Served;
  const ids = {} as Record<'login' | 'cache' | 'docs' | 'open' | 'closed', string>;
  const requested: string[] = [];

  async function screenshot(page: Page, name: string): Promise<void> {
    const path = join(shots, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    console.log(`screenshot: ${path}`);
  }

  beforeAll(async () => {
    dir = stateRepo();
    shots = tempDir('agentstate-screens-');
    ids.login = ok(dir, ['backlog', 'add', 'Fix the login redirect loop', '--priority', 'P0']);
    ids.cache = ok(dir, ['backlog', 'add', 'Warm the cache after deploys', '--priority', 'P1']);
    ids.docs = ok(dir, ['backlog', 'add', 'Write the migration guide', '--priority', 'P3', '--depends', ids.login]);
    ok(dir, ['backlog', 'claim', ids.login, '--agent', 'worker-1']);
    ids.open = ok(dir, ['decide', 'Move sessions to Redis', '--why', 'p99 is 800 ms']);
    ok(dir, ['decide', 'Never push to main directly', '--why', 'CI gates releases', '--standing']);
    ids.closed = ok(dir, ['decide', 'Drop the legacy API', '--why', 'no traffic for 90 days']);
    ok(dir, ['outcome', ids.closed, 'done', '--note', 'removed in v3']);
    ok(dir, ['log', 'Benchmarked the cache', '--type', 'bench']);
    ok(dir, ['handoff', '--done', 'auth refactor', '--remaining', 'sessions migration']);
    ok(dir, ['state', 'set', 'phase=build']);
    ok(dir, ['catch', 'lint', 'unused import']);
    // Catches on earlier days, for the chart (appended as `catch` would have, then committed).
    appendFileSync(
      join(dir, '.agentstate/catch-log.tsv'),
      [3, 3, 10].map((days, i) => `ct-0ld${i}0ld0ld0\t${dayAgo(days)}\treview\tmissing test ${i}\tbot\tfixed\t\n`).join(''),
    );
    git(dir, 'commit', '-q', '-am', 'older catches');
    served = await startServe(dir, ['--write', '--agent', 'web-user']);
    browser = await openBrowser();
    browser.on('request', (request) => requested.push(request.url()));
  });
  afterAll(async () => {
    await browser?.close();
    expect(await served?.stop()).toBe(0);
  });

  it('shows the board, decisions, timeline, catches chart, events, handoffs and runtime state', async () => {
    const page = await browser.newPage();
    await page.goto(served.url);
    await page.waitForSelector('body[data-ready]');
    const column = (name: string) => page.locator(`[data-column=${name}]`);
    await expect.poll(() => column('active').textContent()).toContain('Fix the login redirect loop');
    expect(await column('active').textContent()).toContain('@worker-1');
    expect(await column('ready').textContent()).toContain('Warm the cache after deploys');
    expect(await column('blocked').textContent()).toContain(`waits on ${ids.login} (active)`);
    expect(await page.locator('#open-decisions').textContent()).toContain('Move sessions to Redis');
    expect(await page.locator('#standing').textContent()).toContain('Never push to main directly');
    expect(await page.locator(`#timeline li[data-id=${ids.closed}]`).textContent()).toMatch(/done.*Drop the legacy API.*→ done: removed in v3/);
    const bars = page.locator('#catch-chart rect.bar');
    expect(await bars.count()).toBe(30);
    const counts = await bars.evaluateAll((rects) => rects.map((rect) => Number(rect.getAttribute('data-count'))));
    expect(counts[29]).toBe(1);
    expect(counts[26]).toBe(2);
    expect(counts[19]).toBe(1);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(4);
    expect(await bars.nth(26).evaluate((rect) => rect.getBoundingClientRect().height)).toBeGreaterThan(await bars.nth(29).evaluate((rect) => rect.getBoundingClientRect().height));
    expect(await page.locator('#events').textContent()).toContain('Benchmarked the cache');
    expect(await page.locator('#handoffs').textContent()).toContain('sessions migration');
    expect(await page.locator('#runtime').textContent()).toContain('phase');
    expect(await page.locator('#live').textContent()).toBe('live');
    await screenshot(page, 'view');
    // Self-contained: every request went to the server that sent the page.
    expect(requested.filter((url) => !url.startsWith(served.base))).toEqual([]);
    await page.close();
  });

  it('moves a task with --write (select and drag): each move is a commit, and the page follows', async () => {
    const page = await browser.newPage();
    await page.goto(served.url);
    await page.waitForSelector('body[data-ready]');
    const commits = Number(git(dir, 'rev-list', '--count', 'HEAD'));
    await page.selectOption(`.card[data-id=${ids.login}] select.move`, 'done');
    await page.waitForSelector(`[data-column=done] .card[data-id=${ids.login}]`);
    expect(git(dir, 'log', '-1', '--format=%s%n%b')).toMatch(new RegExp(`^agentstate: backlog update ${ids.login} done: Fix the login redirect loop\\n[\\s\\S]*Agentstate-Agent: web-user`));
    expect(git(dir, 'show', '--name-only', '--format=', 'HEAD').trim().split('\n')).toContain('.agentstate/backlog.yaml');
    // The dependency is done: the guide is ready now.
    await page.waitForSelector(`[data-column=ready] .card[data-id=${ids.docs}]`);

    await page.dragAndDrop(`.card[data-id=${ids.cache}]`, '[data-column=blocked]');
    await page.waitForSelector(`[data-column=blocked] .card[data-id=${ids.cache}]`);
    expect(json<{ task: { status: string; version: number } }>(cli(dir, ['backlog', 'show', ids.cache, '--json'])).task).toMatchObject({ status: 'blocked', version: 2 });
    expect(Number(git(dir, 'rev-list', '--count', 'HEAD'))).toBe(commits + 2);
    await screenshot(page, 'moved');
    await page.close();
  });

  it('refreshes by itself when the state changes, and shows a refused move', async () => {
    const page = await browser.newPage();
    await page.goto(served.url);
    await page.waitForSelector('body[data-ready]');
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 1));
    ok(dir, ['backlog', 'add', 'Added from the terminal', '--priority', 'P2']);
    await page.waitForSelector('[data-column=ready] .card:has-text("Added from the terminal")', { timeout: 10_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(1);

    // A page that still shows version 1 of a task another agent changed since.
    ok(dir, ['backlog', 'update', ids.docs, '--notes', 'changed elsewhere']);
    await page.evaluate((id) => (globalThis as unknown as { move(card: object, column: string): Promise<void> }).move({ id, version: 1 }, 'active'), ids.docs);
    await expect.poll(() => page.locator('#message').textContent()).toContain(`${ids.docs}: ${ids.docs} is at version`);
    expect(json<{ task: { status: string } }>(cli(dir, ['backlog', 'show', ids.docs, '--json'])).task.status).toBe('open');
    await screenshot(page, 'refused');
    await page.close();
  });

  it('report --html writes the same view as one static file that needs no server', async () => {
    const file = join(shots, 'report.html');
    const run = cli(dir, ['report', '--html', file]);
    expect(run.code, run.stderr).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
    const page = await browser.newPage();
    const seen: string[] = [];
    page.on('request', (request) => seen.push(request.url()));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-ready]');
    expect(await page.locator('[data-column=done]').textContent()).toContain('Fix the login redirect loop');
    expect(await page.locator('#catch-chart rect.bar').count()).toBe(30);
    expect(await page.locator('#live').textContent()).toBe('static');
    expect(await page.locator('select.move').count()).toBe(0);
    expect(seen.filter((url) => !url.startsWith('file:'))).toEqual([]);
    await screenshot(page, 'report');
    await page.close();
  });
});
