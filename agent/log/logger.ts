// The agent's logger: one readable text line per event, for support staff reading files remotely.
//
//   2026-11-21T10:15:03.123Z info  collect: Cycle finished. ok=2 failed=0 file=acme_...ndjson event=collect.cycle-finished
//
// What is logged is an event of the catalogue (events.ts): its sentence, the fields, and its name
// last, where it neither interrupts the sentence nor moves the fields support reads first.
// Files roll daily (agent-YYYY-MM-DD.log in the log folder, UTC dates) and are kept `keep_days`.
// The console gets the same lines when stdout is a terminal, or when asked (`run` under a service
// manager that captures stdout). Secrets never reach a line: Secret values print as
// **REDACTED**, and every string registered with `registerSecret` is masked in the message and
// the fields as a second line of defence (an SDK error message could echo a key).
import winston from 'winston';
import type { LogLevel } from '../config/types.ts';
import { escapeControl } from './control-chars.ts';
import { LogEvents, type LogEvent } from './events.ts';
import { redactText } from './redact.ts';
import { ResilientFileTransport } from './resilient-file.ts';

export { redactText, registerSecret } from './redact.ts';

export type LogFieldValue = string | number | boolean | null | undefined | { toString(): string };
export type LogFields = Record<string, LogFieldValue>;

/** Each level takes only its own events, so the level printed is the catalogue's. */
export interface Logger {
  error(event: LogEvent<'error'>, fields?: LogFields): void;
  warn(event: LogEvent<'warn'>, fields?: LogFields): void;
  info(event: LogEvent<'info'>, fields?: LogFields): void;
  debug(event: LogEvent<'debug'>, fields?: LogFields): void;
  /** A logger whose lines name `component` (collect, drain, s3, open-meteo, spool, ...). */
  child(component: string): Logger;
}

export interface LoggerOptions {
  /** Log folder; no file logging when undefined (validate, status). */
  dir?: string;
  level: LogLevel;
  keepDays: number;
  console: boolean;
}

function formatValue(value: LogFieldValue): string {
  if (value === null || value === undefined) return '-';
  const text = redactText(String(value));
  // JSON.stringify escapes C0 controls; escapeControl also catches ESC in unquoted values, C1 and bidi.
  return escapeControl(/[\s"=]/.test(text) || text === '' ? JSON.stringify(text) : text);
}

/** `key=value` pairs in insertion order; undefined fields are left out. */
export function formatFields(fields: LogFields | undefined): string {
  if (!fields) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) parts.push(`${key}=${formatValue(value)}`);
  }
  return parts.join(' ');
}

const lineFormat = winston.format.printf((info) => {
  const component = typeof info.component === 'string' ? info.component : 'agent';
  const fields = formatFields(info.fields as LogFields | undefined);
  const message = escapeControl(redactText(String(info.message)));
  const event = typeof info.event === 'string' ? ` event=${info.event}` : '';
  return `${String(info.timestamp)} ${info.level.padEnd(5)} ${component}: ${message}${fields ? ` ${fields}` : ''}${event}`;
});

export interface AgentLogger extends Logger {
  /** Flushes and closes the files; call before the process exits. */
  close(): Promise<void>;
}

export function createLogger(options: LoggerOptions): AgentLogger {
  const transports: winston.transport[] = [];
  if (options.dir) {
    // A failing log disk must never stop collection: see resilient-file.ts.
    transports.push(new ResilientFileTransport({ dir: options.dir, keepDays: options.keepDays, linesAlreadyOnStderr: options.console }));
  }
  if (options.console) transports.push(new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] }));
  const root = winston.createLogger({
    level: options.level,
    format: winston.format.combine(winston.format.timestamp(), lineFormat),
    transports,
    silent: transports.length === 0,
  });
  // Winston re-emits a transport's 'error' on the logger; unheard, it would end the process.
  root.on('error', (error: unknown) => {
    const failed = LogEvents.transportFailed;
    process.stderr.write(`${new Date().toISOString()} error log: ${failed.message} error=${JSON.stringify(error instanceof Error ? error.message : String(error))} event=${failed.name}\n`);
  });

  const make = (component: string): Logger => ({
    error: (event, fields) => root.log('error', event.message, { component, fields, event: event.name }),
    warn: (event, fields) => root.log('warn', event.message, { component, fields, event: event.name }),
    info: (event, fields) => root.log('info', event.message, { component, fields, event: event.name }),
    debug: (event, fields) => root.log('debug', event.message, { component, fields, event: event.name }),
    child: (name) => make(name),
  });

  return {
    ...make('agent'),
    close: () =>
      new Promise<void>((resolve) => {
        if (transports.length === 0) return resolve();
        root.on('finish', () => resolve());
        root.end();
      }),
  };
}
