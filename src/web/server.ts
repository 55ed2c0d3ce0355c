import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { redactSecrets } from '../core/guards.js';
import { AgentstateError, errnoError, Exit } from '../errors.js';

/**
 * The local web view's server, on Node's own http module: 127.0.0.1 only, a random token on
 * every request, the page, a small JSON API and a stream of change notices. It knows nothing of
 * the state: the command hands it the readers and the one write it may do.
 */
export interface ServerHooks {
  page: () => string;
  view: () => Promise<unknown>;
  /** Change a task as `backlog update` would; undefined when the server is read-only. */
  update?: (id: string, changes: Record<string, unknown>) => Promise<unknown>;
  /** A cheap fingerprint of the state files, and the directories to watch for changes. */
  fingerprint: () => string;
  watchDirs: string[];
}

export interface Running {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const POLL_MS = 1000;
const MAX_BODY = 64 * 1024;
const HTTP_STATUS: Record<number, number> = { [Exit.failure]: 500, [Exit.usage]: 400, [Exit.notFound]: 404, [Exit.conflict]: 409, [Exit.busy]: 503 };

export async function startServer(hooks: ServerHooks, port: number): Promise<Running> {
  const token = randomBytes(16).toString('hex');
  const streams = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => sendError(response, error));
  });
  let actualPort = port;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', `http://${HOST}`);
    const host = request.headers.host ?? '';
    // A page on another site that resolves its name to 127.0.0.1 (DNS rebinding) sends its own Host.
    if (host !== `${HOST}:${actualPort}` && host !== `localhost:${actualPort}`) return refuse(response, 403, 'wrong Host header: open the URL that `agentstate serve` printed');
    if (!tokenMatches(url.searchParams.get('token') ?? headerText(request.headers['x-agentstate-token']), token)) {
      return refuse(response, 403, 'missing or wrong token: open the URL that `agentstate serve` printed');
    }
    const route = `${request.method} ${url.pathname}`;
    if (route === 'GET /') return send(response, 200, 'text/html; charset=utf-8', hooks.page());
    if (route === 'GET /api/view') return sendJson(response, 200, await hooks.view());
    if (route === 'GET /api/stream') return openStream(response);
    const task = /^\/api\/tasks\/([^/]+)$/.exec(url.pathname);
    if (task && request.method === 'POST') {
      if (!hooks.update) return refuse(response, 403, 'the web view is read-only: start it with `agentstate serve --write` to move tasks');
      const origin = request.headers.origin;
      if (origin !== undefined && origin !== `http://${host}`) return refuse(response, 403, `requests from ${origin} are refused`);
      if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) return refuse(response, 415, 'send the changes as application/json');
      const changes = await readJson(request);
      return sendJson(response, 200, await hooks.update(decodeURIComponent(task[1]!), changes));
    }
    return refuse(response, 404, `no such page: ${request.method} ${url.pathname}`);
  }

  function openStream(response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    response.write(': connected\n\n');
    streams.add(response);
    response.on('close', () => streams.delete(response));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new AgentstateError(Exit.failure, `port ${port} is in use`, 'pick another with --port N, or leave it out for a free one') : error),
    );
    server.listen(port, HOST, () => resolve());
  });
  const address = server.address();
  actualPort = typeof address === 'object' && address ? address.port : port;

  // Changes (once listening: a server that could not start must not keep the process alive):
  // watch the state directories for an immediate notice, and poll as a safety net (a watcher can
  // miss events on some file systems); both only compare fingerprints.
  let last = hooks.fingerprint();
  let pending: NodeJS.Timeout | undefined;
  const check = () => {
    const now = hooks.fingerprint();
    if (now === last) return;
    last = now;
    for (const stream of streams) stream.write(`event: change\ndata: ${JSON.stringify({ at: new Date().toISOString() })}\n\n`);
  };
  const soon = () => {
    clearTimeout(pending);
    pending = setTimeout(check, 50);
  };
  const watchers: FSWatcher[] = [];
  for (const dir of hooks.watchDirs) {
    try {
      watchers.push(watch(dir, soon));
    } catch {
      /* polling still sees it */
    }
  }
  const poll = setInterval(check, POLL_MS);
  const ping = setInterval(() => {
    for (const stream of streams) stream.write(': ping\n\n');
  }, 15_000);

  return {
    url: `http://${HOST}:${actualPort}/?token=${token}`,
    port: actualPort,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(poll);
        clearInterval(ping);
        clearTimeout(pending);
        for (const watcher of watchers) watcher.close();
        for (const stream of streams) stream.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const headerText = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value) ?? '';

function tokenMatches(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new AgentstateError(Exit.usage, `the request body is over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new AgentstateError(Exit.usage, 'the request body is not JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new AgentstateError(Exit.usage, 'the request body must be a JSON object');
  return body as Record<string, unknown>;
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // The page is self-contained: nothing may be loaded from anywhere else.
    'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  });
  response.end(body);
}

const sendJson = (response: ServerResponse, status: number, value: unknown) => send(response, status, 'application/json; charset=utf-8', JSON.stringify(value));

/** The CLI's error, as JSON: the same message and hint, and its exit code. */
function sendError(response: ServerResponse, raw: unknown): void {
  if (response.headersSent) return void response.end();
  const error = raw instanceof AgentstateError ? raw : (errnoError(raw) ?? raw); // a failure of the file system is not a bug
  // As the CLI: a secret pasted where an id or a value was expected is not sent back.
  if (error instanceof AgentstateError) {
    const hint = error.hint ? redactSecrets(error.hint) : null;
    return sendJson(response, HTTP_STATUS[error.exitCode] ?? 500, { error: { code: error.exitCode, message: redactSecrets(error.message), hint } });
  }
  sendJson(response, 500, { error: { code: Exit.failure, message: redactSecrets(error instanceof Error ? error.message : String(error)), hint: 'this is a bug; please report it' } });
}

function refuse(response: ServerResponse, status: number, message: string): void {
  sendJson(response, status, { error: { code: status === 404 ? Exit.notFound : Exit.usage, message: redactSecrets(message), hint: null } });
}
