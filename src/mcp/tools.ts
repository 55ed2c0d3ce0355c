import type { CommandRun } from '../command.js';
import { usageError } from '../errors.js';

/**
 * The MCP tools: a small surface (the whole tools/list answer stays under 2,000 tokens), each
 * one a thin call into the same command module the CLI runs, given the arguments the CLI would
 * have parsed. Validation, lock, commit and errors are the CLI's own.
 */
type Json = Record<string, unknown>;

export interface CliCall {
  /** The command module's run function, loaded the way the CLI registry loads it. */
  load: () => Promise<CommandRun<never>>;
  args: string[];
  options: Json;
}

export interface ToolSpec {
  name: string;
  description: string;
  inputSchema: Json;
  readOnly?: boolean;
  /** The tool's arguments as the CLI command, positional arguments and options it stands for. */
  toCli: (input: Json) => CliCall;
  /** Answer with the command's human text instead of its --json data. */
  text?: boolean;
}

const str = (description?: string) => (description ? { type: 'string', description } : { type: 'string' });
const int = (description: string) => ({ type: 'integer', minimum: 0, description });
const list = (description: string) => ({ type: 'array', items: { type: 'string' }, description });
const ONCE = str('idempotency key: if a record with it exists, nothing is written');
// Checked by the command itself, so a wrong value gets the CLI's message.
const PRIORITY = str('P0 (most urgent) to P3');
const STATUS = str('open, active, blocked, done or dropped');

function object(properties: Json, required: string[] = []): Json {
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: false };
}

const text = (value: unknown) => (value === undefined ? undefined : String(value));
const strings = (value: unknown) => (value === undefined ? undefined : (value as unknown[]).map(String));
/** `{k: v}` as the CLI's `k=v` pairs: values written as JSON, which the CLI parses back. */
const pairs = (value: unknown) => Object.entries((value ?? {}) as Json).map(([key, item]) => `${key}=${JSON.stringify(item)}`);

const command = (load: () => Promise<{ run: CommandRun<never> }>) => () => load().then((module) => module.run);
const backlog = (name: 'add' | 'update' | 'next') => () => import('../commands/backlog.js').then((module) => module[name] as CommandRun<never>);
const runtime = (name: 'get' | 'set' | 'unset') => () => import('../commands/state.js').then((module) => module[name] as CommandRun<never>);

export const TOOLS: ToolSpec[] = [
  {
    name: 'resume',
    description:
      'The boot briefing: latest handoff, open decisions, standing orders, runtime state, next tasks, recent events, warnings. Call it first in a session.',
    inputSchema: object({ budget: int('fit in this many tokens; what is cut is said'), focus: str('keep only items matching this text or tag') }),
    readOnly: true,
    toCli: (input) => ({
      load: command(() => import('../commands/resume.js')),
      args: [],
      options: { budget: text(input.budget), focus: input.focus },
    }),
    text: true,
  },
  {
    name: 'decide',
    description: 'Record a decision BEFORE acting on it; returns its id. It stays open until an outcome is recorded.',
    inputSchema: object(
      {
        title: str('what you decided to do'),
        why: str('the rationale'),
        action: str('the concrete next step'),
        standing: { type: 'boolean', description: 'an order binding every session until revoked' },
        tags: list('tags'),
        expect: list('what will be true once done, checked by resume: file:PATH, absent:PATH, commit:TEXT, branch:NAME, tag:NAME, state:KEY[=VALUE]'),
        once: ONCE,
      },
      ['title', 'why'],
    ),
    toCli: (input) => ({
      load: command(() => import('../commands/decide.js')),
      args: [String(input.title)],
      options: { why: input.why, action: input.action, standing: input.standing, tag: strings(input.tags), expect: strings(input.expect), once: input.once },
    }),
  },
  {
    name: 'outcome',
    description: 'Record what came of a decision; closes it.',
    inputSchema: object(
      { id: str('decision id or a unique prefix'), status: { type: 'string', enum: ['done', 'failed', 'abandoned'] }, note: str('what happened'), once: ONCE },
      ['id', 'status'],
    ),
    toCli: (input) => ({
      load: command(() => import('../commands/outcome.js')),
      args: [String(input.id), String(input.status)],
      options: { note: input.note, once: input.once },
    }),
  },
  {
    name: 'log',
    description: 'Append an event to the event log; returns its id.',
    inputSchema: object(
      {
        summary: str('what happened, one line'),
        type: str('one word, default note'),
        ref: str('a path or URL it is about'),
        data: { type: 'object', description: 'structured fields' },
        once: ONCE,
      },
      ['summary'],
    ),
    toCli: (input) => ({
      load: command(() => import('../commands/log.js')),
      args: [String(input.summary)],
      options: { type: input.type, ref: input.ref, data: input.data ? pairs(input.data) : undefined, once: input.once },
    }),
  },
  {
    name: 'handoff',
    description: 'End-of-session handoff; the next resume shows it first.',
    inputSchema: object({ done: list('finished'), remaining: list('still to do'), uncertain: list('not sure about'), note: str(), once: ONCE }),
    toCli: (input) => ({
      load: command(() => import('../commands/handoff.js')),
      args: [],
      options: { done: strings(input.done), remaining: strings(input.remaining), uncertain: strings(input.uncertain), note: input.note, once: input.once },
    }),
  },
  {
    name: 'search',
    description: 'Ranked search over events, decisions with their outcomes, tasks, catches, handoffs and learnings.',
    inputSchema: object(
      {
        query: str('words; a word of 3+ letters also finds words it starts'),
        kinds: list('only these: event, handoff, decision, task, catch, learning'),
        since: str('ISO time or age (30m, 2h, 7d)'),
        limit: int('at most this many hits (default 20)'),
      },
      ['query'],
    ),
    readOnly: true,
    toCli: (input) => ({
      load: command(() => import('../commands/search.js')),
      args: [String(input.query)],
      options: { kind: strings(input.kinds), since: input.since, limit: text(input.limit) },
    }),
    text: true,
  },
  {
    name: 'backlog_next',
    description: 'The highest-priority open task whose dependencies are done. claim: take it atomically (status active, owner you).',
    inputSchema: object({ claim: { type: 'boolean' } }),
    toCli: (input) => ({
      load: backlog('next'),
      args: [],
      options: { claim: input.claim === true },
    }),
  },
  {
    name: 'backlog_add',
    description: 'Add a task; returns it.',
    inputSchema: object(
      { title: str(), priority: PRIORITY, epic: str(), tags: list('tags'), depends: list('task ids that must be done first'), notes: str(), once: ONCE },
      ['title'],
    ),
    toCli: (input) => ({
      load: backlog('add'),
      args: [String(input.title)],
      options: { priority: input.priority, epic: input.epic, tag: strings(input.tags), depends: strings(input.depends), note: input.notes, once: input.once },
    }),
  },
  {
    name: 'backlog_update',
    description: 'Change a task; its version goes up by one. tags and depends are added.',
    inputSchema: object(
      {
        id: str('task id or a unique prefix'),
        title: str(),
        status: STATUS,
        priority: PRIORITY,
        epic: str(),
        tags: list('tags to add'),
        depends: list('dependencies to add'),
        notes: str('replaces the notes'),
        expect_version: int('write only if the task is still at this version'),
      },
      ['id'],
    ),
    toCli: (input) => ({
      load: backlog('update'),
      args: [String(input.id)],
      options: {
        title: input.title,
        status: input.status,
        priority: input.priority,
        epic: input.epic,
        tag: strings(input.tags),
        depends: strings(input.depends),
        note: input.notes,
        expectVersion: text(input.expect_version),
      },
    }),
  },
  {
    name: 'state',
    description: 'Runtime state, dotted keys. Without set or unset: read all fields, or key. set: {key: any JSON}. unset: keys to remove.',
    inputSchema: object({
      key: str('read this field only'),
      set: { type: 'object' },
      unset: list('keys'),
      expect_version: int('write only if the state is still at this version'),
    }),
    // One tool for the CLI's three `state` commands, to keep the surface small.
    toCli: (input) => {
      const options = { expectVersion: text(input.expect_version) };
      if (input.set !== undefined && input.unset !== undefined) throw usageError('state: give set or unset, not both', 'make two calls');
      if (input.set !== undefined) return { load: runtime('set'), args: pairs(input.set), options };
      if (input.unset !== undefined) return { load: runtime('unset'), args: strings(input.unset) ?? [], options };
      return { load: runtime('get'), args: input.key === undefined ? [] : [String(input.key)], options: {} };
    },
  },
];
