// Patterns for whole lines of the agent's log files, built from the catalogue
// (agent/log/events.ts): a test names the event and the fields it expects; the level, the sentence
// and the event's name come from the catalogue, so rewording a message changes no test.
import type { LogEvent } from '../../agent/log/events.ts';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * One line of `component` logging `event`. `fields` (a regex source) must occur after the
 * sentence; other fields may stand before and after it. With `all`, it finds every such line.
 */
export function logLine(component: string, event: LogEvent, fields = '', all = false): RegExp {
  const between = fields ? ` (?:.* )?${fields}` : '';
  // A file written on Windows ends its lines with CRLF (winston's eol is os.EOL).
  const line = `^\\S+ ${event.level.padEnd(5)} ${escapeRegExp(component)}: ${escapeRegExp(event.message)}${between}.* event=${escapeRegExp(event.name)}\\r?$`;
  return new RegExp(line, all ? 'gm' : 'm');
}
