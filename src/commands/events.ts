import type { CommandRun } from '../command.js';
import { openContext } from '../store/context.js';
import { readLog } from '../store/logs.js';
import { cellText } from '../core/text.js';
import { table } from '../output.js';
import { query } from './shared.js';

export interface EventsOptions {
  since?: string;
  until?: string;
  type?: string;
  by?: string;
  grep?: string;
  limit?: string;
}

/** `agentstate events`: query the event log, newest last. */
export const run: CommandRun<EventsOptions> = async ({ options, globals }) => {
  const context = await openContext(globals);
  const agent = options.by;
  const { records } = await readLog(context, 'events');
  const events = query(
    records.map((record) => record.value),
    options,
    { at: (event) => String(event.at), text: (event) => JSON.stringify(event) },
    (event) => (!options.type || event.type === options.type) && (!agent || event.agent === agent),
  );
  return {
    data: { events, count: events.length, warnings: context.warnings },
    warnings: context.warnings,
    quiet: events.map((event) => event.id).join('\n'),
    human: (style) =>
      events.length === 0
        ? 'no events'
        : table(
            [
              ['AT', 'TYPE', 'AGENT', 'ID', 'SUMMARY'],
              ...events.map((event) => [
                cellText(String(event.at).slice(0, 19).replace('T', ' ')),
                cellText(String(event.type)),
                cellText(String(event.agent)),
                style.dim(cellText(String(event.id))),
                cellText(`${String(event.summary ?? '')}${event.ref ? ` (${String(event.ref)})` : ''}`),
              ]),
            ],
            style,
          ),
  };
};
