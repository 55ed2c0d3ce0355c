import type { CommandRun } from '../command.js';
import { parseExpectation, type Expectation } from '../core/expectations.js';
import { newId } from '../core/ids.js';
import { decisionRecordSchema } from '../core/schemas.js';
import { usageError } from '../errors.js';
import { openContext, type StateContext } from '../store/context.js';
import { appendDecisionRecord } from '../store/decisions-file.js';
import { expectationRefusal } from '../store/expectations.js';
import { findOnce } from '../store/logs.js';
import { mutate } from '../store/mutate.js';
import { appended, nowIso, requireText, textOrStdin, validated } from './shared.js';

export interface DecideOptions {
  why?: string;
  action?: string;
  standing?: boolean;
  tag?: string[];
  expect?: string[];
  once?: string;
}

/**
 * `agentstate decide <title> --why …`: write a decision BEFORE acting. When this exits 0 the
 * decision is durable and committed: that is the write-ahead point. Until an outcome is recorded
 * it is listed as open, so a session that dies mid-way leaves its intent behind.
 */
export const run: CommandRun<DecideOptions> = async ({ args, options, globals, command }) => {
  const title = requireText(args[0], 'the title');
  const why = requireText(textOrStdin(options.why, command !== undefined), '--why');
  const context = await openContext(globals);
  const expect = expectations(context, options.expect ?? []);
  if (expect.length && options.standing) throw usageError('--expect: a standing order is never done, so it expects nothing', 'nothing was written; drop --expect or --standing');
  const record = validated(context, decisionRecordSchema, {
    id: newId('decision'),
    at: nowIso(),
    kind: 'decision',
    title,
    why,
    ...(options.action ? { action: options.action } : {}),
    standing: options.standing === true,
    ...(options.tag?.length ? { tags: options.tag } : {}),
    ...(expect.length ? { expect } : {}),
    agent: context.agent(),
    ...(context.session() ? { session: context.session() } : {}),
    ...(options.once ? { once: options.once } : {}),
  });
  const { result, commit } = await mutate(context, 'decide', async (tx) => {
    const existing = options.once ? findOnce(context, 'decisions', options.once) : undefined;
    if (existing) return { id: existing, existing: true };
    await appendDecisionRecord(tx, record);
    tx.describe(title, record.id);
    return { id: record.id, existing: false };
  });
  return appended(context, result, { kind: 'decision', value: record }, commit, options.once);
};

/** `--expect kind:value`: declarative and read-only; a path must stay inside the repository (exit 2). */
function expectations(context: StateContext, texts: string[]): Expectation[] {
  return texts.map((text) => {
    const parsed = parseExpectation(text);
    const problem = 'problem' in parsed ? parsed.problem : expectationRefusal(context, parsed);
    if (problem || 'problem' in parsed) {
      throw usageError(`--expect ${text}: ${problem}`, 'nothing was written; kinds: file:PATH, absent:PATH, commit:TEXT, branch:NAME, tag:NAME, state:KEY[=VALUE]');
    }
    return { kind: parsed.kind, value: parsed.value };
  });
}
