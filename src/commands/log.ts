import type { CommandRun } from '../command.js';
import { newId } from '../core/ids.js';
import { eventSchema } from '../core/schemas.js';
import { usageError } from '../errors.js';
import { readHead } from '../git/repo.js';
import { readAttachment, storeBlob } from '../store/blobs.js';
import { openContext } from '../store/context.js';
import { appendLogRecord, findOnce } from '../store/logs.js';
import { mutate } from '../store/mutate.js';
import { appended, nowIso, parseKeyValues, requireText, textOrStdin, validated } from './shared.js';

export interface LogOptions {
  type?: string;
  ref?: string;
  backref?: string[];
  commit?: string;
  data?: string[];
  attach?: string[];
  once?: string;
}

/** `agentstate log <summary>`: append an event; prints its id. */
export const run: CommandRun<LogOptions> = async ({ args, options, globals, command }) => {
  const summary = requireText(textOrStdin(args[0], command !== undefined), 'the summary');
  const context = await openContext(globals);
  if (options.commit !== undefined && !/^[0-9a-f]{4,64}$/i.test(options.commit)) {
    throw usageError(`--commit: "${options.commit}" is not a commit sha`, 'give a hex sha, e.g. --commit a1b2c3d');
  }
  const files = (options.attach ?? []).map((file) => readAttachment(context, file));
  const head = context.repo ? readHead(context.repo).sha : undefined;
  const commitSha = options.commit ?? head?.slice(0, 12);
  const record = validated(context, eventSchema, {
    id: newId('event'),
    at: nowIso(),
    type: options.type ?? 'note',
    agent: context.agent(),
    ...(context.session() ? { session: context.session() } : {}),
    ...(commitSha ? { commit: commitSha } : {}),
    ...(options.ref ? { ref: options.ref } : {}),
    summary,
    ...(options.backref?.length ? { backrefs: options.backref } : {}),
    ...(options.data?.length ? { data: parseKeyValues(options.data, '--data') } : {}),
    ...(options.once ? { once: options.once } : {}),
    ...(files.length ? { attachments: files.map((file) => file.attachment) } : {}),
  });
  const { result, commit } = await mutate(context, 'log', async (tx) => {
    const existing = options.once ? findOnce(context, 'events', options.once) : undefined;
    if (existing) return { id: existing, existing: true };
    for (const file of files) storeBlob(tx, file.bytes, file.attachment);
    await appendLogRecord(tx, 'events', record);
    if (record.type === 'handoff') tx.touchBoot();
    tx.describe(summary, record.id);
    return { id: record.id, existing: false };
  });
  return appended(context, result, { kind: 'event', value: record }, commit, options.once);
};
