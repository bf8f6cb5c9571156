// A Logger that keeps its lines in memory, for unit tests that assert what was logged.
// Integration tests use the real file logger and read the files instead.
import type { LogEvent } from '../../agent/log/events.ts';
import { formatFields, redactText, type LogFields, type Logger } from '../../agent/log/logger.ts';

export interface LoggedLine {
  level: 'error' | 'warn' | 'info' | 'debug';
  component: string;
  /** The catalogue name (agent/log/events.ts): what tests match on. */
  event: string;
  message: string;
  fields: LogFields;
  /** The line as the file logger would print it after the timestamp. */
  text: string;
}

export function createListLogger(component = 'test'): Logger & { lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const make = (name: string): Logger => {
    const log = (level: LoggedLine['level']) => ({ name: event, message }: LogEvent, fields: LogFields = {}) => {
      const rendered = formatFields(fields);
      lines.push({ level, component: name, event, message, fields, text: redactText(`${level} ${name}: ${message}${rendered ? ` ${rendered}` : ''} event=${event}`) });
    };
    return { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug'), child: make };
  };
  return Object.assign(make(component), { lines });
}
