// The log file transport that never takes the agent down. The daily-rotating file stream emits
// 'error' when a write fails (ENOSPC on a full log disk, EACCES, EIO), and an unheard 'error'
// ends the process: under a service manager that is a crash loop while the data disk has room.
//
// Lifecycle: healthy -> failed on the first stream error: one line on stderr (and, on Windows, one
// Event Log entry) says so, the rotating stream is dropped, and from then on every line goes to
// stderr, where the service manager keeps it (journald, the service wrapper's log); error lines
// also go to the Windows Event Log, at most one a minute. At most every `retryMs`, a line being
// logged first tries to append the "works again" line to today's file itself: when that write
// succeeds, a fresh rotating stream takes over and the recovery is said once, in the file and on
// stderr. Collection never waits on any of this.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';
import { LogEvents } from './events.ts';
import { reportWindowsEvent } from './windows-event-log.ts';

const MESSAGE = Symbol.for('message');
// winston's types name the transport base class `transport`; at run time it is `Transport`.
const TransportBase = (winston as unknown as { Transport: typeof import('winston-transport') }).Transport;
export const LOG_RETRY_MS = 30_000;
const EVENT_LOG_INTERVAL_MS = 60_000;
const CLOSE_WAIT_MS = 2_000;

export interface ResilientFileOptions {
  dir: string;
  keepDays: number;
  /** Where lines go while the file cannot be written. */
  writeStderr?: (text: string) => void;
  /** The console transport already copies every line to stderr: only say what happened. */
  linesAlreadyOnStderr?: boolean;
  now?: () => Date;
  retryMs?: number;
}

/** The file the rotating stream writes today (UTC dates, as configured below). */
export function logFilePath(dir: string, now: Date): string {
  return join(dir, `agent-${now.toISOString().slice(0, 10)}.log`);
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.startsWith(code) ? `${code}: ${message}` : message;
}

function openRotating(dir: string, keepDays: number): DailyRotateFile {
  return new DailyRotateFile({
    dirname: dir,
    filename: 'agent-%DATE%.log',
    datePattern: 'YYYY-MM-DD',
    utc: true,
    maxFiles: `${keepDays}d`,
    auditFile: `${dir}/.log-audit.json`,
  });
}

export class ResilientFileTransport extends TransportBase {
  private file: DailyRotateFile | undefined;
  private failedAt: Date | undefined;
  private lastAttemptMs = 0;
  private lastEventLogMs = 0;
  private linesToStderr = 0;
  private readonly options: Required<ResilientFileOptions>;

  constructor(options: ResilientFileOptions) {
    super();
    this.options = {
      writeStderr: (text) => void process.stderr.write(text),
      now: () => new Date(),
      retryMs: LOG_RETRY_MS,
      linesAlreadyOnStderr: false,
      ...options,
    };
    this.open();
  }

  /** Whether lines currently reach the log file. */
  get healthy(): boolean {
    return this.file !== undefined;
  }

  private open(): void {
    try {
      const file = openRotating(this.options.dir, this.options.keepDays);
      // The rotating stream's own emitter (file-stream-rotator) re-emits the fs stream's errors;
      // the transport emits errors of its own (deleting old files): both must be heard.
      (file as unknown as { logStream: NodeJS.EventEmitter }).logStream.on('error', (error: unknown) => this.fail(file, error));
      file.on('error', (error: unknown) => this.fail(file, error));
      this.file = file;
    } catch (error) {
      this.fail(undefined, error);
    }
  }

  private fail(file: DailyRotateFile | undefined, error: unknown): void {
    if (file !== undefined && file !== this.file) return; // an old stream's late error
    this.file = undefined;
    this.lastAttemptMs = this.options.now().getTime();
    if (file) (file as unknown as { logStream: { destroy?: () => void } }).logStream.destroy?.();
    if (this.failedAt) return;
    this.failedAt = this.options.now();
    this.linesToStderr = 0;
    const failed = LogEvents.logFileFailed;
    const text = `${failed.message} dir=${JSON.stringify(this.options.dir)} error=${JSON.stringify(describe(error))}`;
    this.options.writeStderr(`${this.failedAt.toISOString()} error log: ${text} event=${failed.name}\n`);
    void reportWindowsEvent('logFileFailed', text);
  }

  /** Appends the recovery line to today's file; if that works, the rotating stream takes over. */
  private tryRecover(now: Date): void {
    this.lastAttemptMs = now.getTime();
    const recovered = LogEvents.logFileRecovered(this.linesToStderr, String(this.failedAt?.toISOString()));
    const text = `${recovered.message} dir=${JSON.stringify(this.options.dir)}`;
    try {
      appendFileSync(logFilePath(this.options.dir, now), `${now.toISOString()} info  log: ${text} event=${recovered.name}\n`);
    } catch {
      return; // still failing: stay on stderr, try again later
    }
    this.options.writeStderr(`${now.toISOString()} info  log: ${text} event=${recovered.name}\n`);
    void reportWindowsEvent('logFileRecovered', text);
    this.failedAt = undefined;
    this.open();
  }

  override log(info: Record<string | symbol, unknown>, callback: () => void): void {
    const now = this.options.now();
    if (!this.file && this.failedAt && now.getTime() - this.lastAttemptMs >= this.options.retryMs) this.tryRecover(now);
    const line = String(info[MESSAGE]);
    if (this.file) {
      this.file.log!(info, () => undefined);
    } else {
      this.linesToStderr += 1;
      if (!this.options.linesAlreadyOnStderr) this.options.writeStderr(`${line}\n`);
      if (info.level === 'error' && now.getTime() - this.lastEventLogMs >= EVENT_LOG_INTERVAL_MS) {
        this.lastEventLogMs = now.getTime();
        void reportWindowsEvent('errorWithoutLogFile', line);
      }
    }
    callback();
  }

  /** Flushes the file before the logger reports 'finish'; a stuck disk delays exit by 2 s at most. */
  override _final(callback: (error?: Error | null) => void): void {
    void this.closeFile().then(() => callback());
  }

  override close(): void {
    void this.closeFile();
  }

  private closeFile(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    this.lastAttemptMs = Number.POSITIVE_INFINITY; // closed: no reopening
    if (!file) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, CLOSE_WAIT_MS);
      file.once('finish', () => {
        clearTimeout(timer);
        resolve();
      });
      file.close!();
    });
  }
}
