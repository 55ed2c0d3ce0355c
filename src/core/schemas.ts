import { z } from 'zod';
import { EXPECTATION_KINDS, expectationProblem } from './expectations.js';
import { LEARNING_CATEGORIES } from './learnings.js';

/**
 * Record schemas: the field names are part of the contract (SPEC section 2). Records are
 * validated before a byte is written; unknown fields are kept (passthrough) so that readers stay
 * tolerant of newer writers and of hand-added fields.
 */
export const SCHEMA_VERSION = 1;

/**
 * A schema built on its first use. Building them all cost every command ~3 ms of CPU at start-up
 * (zod's builders run cold; measured on Node 22), and a command validates one or two kinds of
 * record. The proxy hands out the built schema's own members, bound to it, so zod sees its schema.
 */
function lazy<T extends z.ZodTypeAny>(build: () => T): T {
  let built: T | undefined;
  const real = (): T => (built ??= build());
  return new Proxy({} as T, {
    get(_, key) {
      const value: unknown = Reflect.get(real(), key);
      return typeof value === 'function' ? value.bind(real()) : value;
    },
    has: (_, key) => Reflect.has(real(), key),
    getPrototypeOf: () => Object.getPrototypeOf(real()) as object,
  });
}

const isoTime = z.string().refine((text) => !Number.isNaN(Date.parse(text)) && /^\d{4}-\d\d-\d\dT/.test(text), {
  message: 'must be an ISO 8601 time such as 2026-03-05T14:15:02.123Z',
});
const word = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'must be one word of letters, digits, _ . : -');
const text = z.string().min(1, 'must not be empty');
const idOf = (prefix: string) => z.string().regex(new RegExp(`^${prefix}-[0-9a-z]{4,32}$`), `must be an id like ${prefix}-7f3a9c2e0b`);

export const attachmentSchema = lazy(() =>
  z
    .object({ path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative(), name: z.string().optional() })
    .passthrough(),
);

export const eventSchema = lazy(() =>
  z
    .object({
      id: idOf('ev'),
      at: isoTime,
      type: word,
      agent: text,
      session: z.string().optional(),
      commit: z.string().optional(),
      ref: z.string().optional(),
      summary: z.string().optional(),
      backrefs: z.array(z.string()).optional(),
      data: z.record(z.unknown()).optional(),
      once: z.string().optional(),
      attachments: z.array(attachmentSchema).optional(),
    })
    .passthrough(),
);
export type EventRecord = z.infer<typeof eventSchema>;

export const catchSchema = lazy(() =>
  z.object({
    id: idOf('ct'),
    at: isoTime,
    control: text,
    caught: text,
    agent: text,
    outcome: z.string(),
    notes: z.string(),
  }),
);

/** What would be true once a decision's action is done (`decide --expect kind:value`). */
export const expectationSchema = lazy(() =>
  z
    .object({ kind: z.enum(EXPECTATION_KINDS), value: z.string() })
    .passthrough()
    .superRefine((expect, ctx) => {
      const problem = expectationProblem(expect.kind, expect.value);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['value'], message: problem });
    }),
);

const decisionBase = () => ({ id: idOf('d'), at: isoTime, agent: text, session: z.string().optional(), once: z.string().optional() });

export const decisionRecordSchema = lazy(() =>
  z.discriminatedUnion('kind', [
    z
      .object({
        ...decisionBase(),
        kind: z.literal('decision'),
        title: text,
        why: text,
        action: z.string().optional(),
        standing: z.boolean(),
        tags: z.array(word).optional(),
        expect: z.array(expectationSchema).optional(),
      })
      .passthrough(),
    z
      .object({
        ...decisionBase(),
        kind: z.literal('outcome'),
        decision: idOf('d'),
        status: z.enum(['done', 'failed', 'abandoned']),
        note: z.string().optional(),
      })
      .passthrough(),
    z.object({ ...decisionBase(), kind: z.literal('revoke'), decision: idOf('d'), why: text }).passthrough(),
  ]),
);
export type DecisionRecord = z.infer<typeof decisionRecordSchema>;

const learningBase = () => ({ id: idOf('l'), at: isoTime, agent: text, session: z.string().optional(), once: z.string().optional() });

/** learnings.yaml: lessons, their confirmations and retirements (an event-sourced log like decisions.yaml). */
export const learningRecordSchema = lazy(() =>
  z.discriminatedUnion('kind', [
    z
      .object({
        ...learningBase(),
        kind: z.literal('learning'),
        text,
        category: z.enum(LEARNING_CATEGORIES),
        tags: z.array(word).optional(),
        refs: z.array(text).optional(),
      })
      .passthrough(),
    z.object({ ...learningBase(), kind: z.literal('confirm'), learning: idOf('l'), note: z.string().optional() }).passthrough(),
    z.object({ ...learningBase(), kind: z.literal('retire'), learning: idOf('l'), why: text }).passthrough(),
  ]),
);
export type LearningRecord = z.infer<typeof learningRecordSchema>;

export const TASK_STATUSES = ['open', 'active', 'blocked', 'done', 'dropped'] as const;
export const PRIORITIES = ['P0', 'P1', 'P2', 'P3'] as const;

/** A claim that lost (core/lease.ts): the agent, when it had claimed, to whom, and why. */
export const claimConflictSchema = lazy(() =>
  z
    .object({ agent: z.string(), claimed_at: z.string().optional(), lost_to: z.string(), reason: z.string(), status: z.string().optional() })
    .passthrough(),
);
export type ClaimConflict = z.infer<typeof claimConflictSchema>;

export const taskSchema = lazy(() =>
  z
    .object({
      id: idOf('t'),
      title: text,
      status: z.enum(TASK_STATUSES),
      priority: z.enum(PRIORITIES),
      epic: z.string().optional(),
      tags: z.array(word).optional(),
      depends_on: z.array(idOf('t')).optional(),
      owner: z.string().optional(),
      claimed_at: isoTime.optional(),
      lease_until: isoTime.optional(),
      conflicts: z.array(claimConflictSchema).optional(),
      version: z.number().int().positive(),
      created: isoTime,
      updated: isoTime,
      notes: z.string().optional(),
    })
    .passthrough(),
);
export type Task = z.infer<typeof taskSchema>;

export const runtimeSchema = lazy(() =>
  z
    .object({
      schema: z.number().int().positive(),
      version: z.number().int().nonnegative(),
      updated_at: isoTime.optional(),
      updated_by: z.string().optional(),
      heartbeat_at: isoTime.optional(),
      fields: z.record(z.unknown()),
    })
    .passthrough(),
);
export type Runtime = z.infer<typeof runtimeSchema>;

/** Turn the first zod issue into "field: message" for a one-line error. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid record';
  const field = issue.path.length ? issue.path.join('.') : 'record';
  return `${field}: ${issue.message}`;
}
