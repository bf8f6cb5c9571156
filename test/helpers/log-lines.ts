// Patterns for whole lines of the agent's log files, built from the catalogue
// (agent/log/events.ts): a test names the event and the fields it expects; the level, the sentence
// and the event's name come from the catalogue, so rewording a message changes no test.
import type { LogEvent } from '../../agent/log/events.ts';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * One line of `component` logging `event`; `fields` (a regex source, matched inside the fields
 * as a part of them, not necessarily whole ones) must follow the sentence, other text may stand before and after it. With `all`, the pattern finds every such line.
 */
export function logLine(component: string, event: LogEvent, fields = '', all = false): RegExp {
  const between = fields ? ` (?:.* )?${fields}` : '';
  const line = `^\\S+ ${event.level.padEnd(5)} ${escapeRegExp(component)}: ${escapeRegExp(event.message)}${between}.* event=${escapeRegExp(event.name)}$`;
  return new RegExp(line, all ? 'gm' : 'm');
}
