// The agent's few error classes. Stages throw these (always with `{ cause }` when wrapping);
// jobs catch them at the tick boundary, log one event and keep running; only cli/ turns them into
// exit codes. Messages must never contain secrets: callers pass hosts and paths, not URLs with
// query strings or credentials.

/** One problem found in a config file, printed as `<file>:<line>: <section>.<key>: <message>`. */
export interface ConfigProblem {
  severity: 'error' | 'warning';
  file: string;
  /** 1-based line of the offending key or section header; undefined when the problem has no line. */
  line?: number;
  /** `section.key`, or just `section` for section-level problems. */
  where: string;
  /** What is wrong; what is expected. */
  message: string;
}

export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[], options?: { cause?: unknown }) {
    const first = problems.find((p) => p.severity === 'error') ?? problems[0];
    super(first ? formatConfigProblem(first) : 'invalid configuration', options);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function formatConfigProblem(problem: ConfigProblem): string {
  const location = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  const prefix = problem.severity === 'warning' ? 'warning: ' : '';
  return `${location}: ${problem.where}: ${prefix}${problem.message}`;
}

/**
 * Why a source request failed. `rate-limited` and `unavailable` mean the source asked us to back
 * off; `bad-request` means retrying the same request will fail the same way (fix the config).
 */
export type SourceErrorKind =
  | 'network'
  | 'timeout'
  | 'rate-limited'
  | 'unavailable'
  | 'bad-request'
  | 'auth'
  | 'http'
  | 'bad-body'
  /** Open-Meteo has no data for this location (400 "No data is available for this location"). */
  | 'no-data'
  /** The agent's own ledger of the free API's hourly or daily budget is spent; nothing was sent. */
  | 'over-budget'
  /** current.time impossible, ahead of this server's clock, or implausibly old. */
  | 'bad-time';

export class SourceError extends Error {
  readonly kind: SourceErrorKind;
  readonly status?: number;
  /** From a Retry-After header, when the source sent one. */
  readonly retryAfterSeconds?: number;
  constructor(
    kind: SourceErrorKind,
    message: string,
    options?: { cause?: unknown; status?: number; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SourceError';
    this.kind = kind;
    if (options?.status !== undefined) this.status = options.status;
    if (options?.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export class SinkError extends Error {
  /** True when sending the same bytes again later may succeed; false when a person must act. */
  readonly retryable: boolean;
  /** A short stable code for logs and status (the S3 error code, or NetworkError/Timeout). */
  readonly code: string;
  /** What a person should do, for non-retryable errors. */
  readonly hint?: string;
  /**
   * False only when no attempt of this upload can have stored the object (the connection never
   * opened, or S3 answered every attempt with a refusal). Unknown counts as "may have".
   */
  readonly mayHaveBeenStored: boolean;
  constructor(
    code: string,
    message: string,
    options: { retryable: boolean; cause?: unknown; hint?: string; mayHaveBeenStored?: boolean },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SinkError';
    this.code = code;
    this.retryable = options.retryable;
    this.mayHaveBeenStored = options.mayHaveBeenStored ?? true;
    if (options.hint !== undefined) this.hint = options.hint;
  }
}

/** An error with one machine-readable `code` callers branch on, beside its sentence for people. */
export class CodedError<Code extends string> extends Error {
  readonly code: Code;
  constructor(name: string, code: Code, message: string) {
    super(message);
    this.name = name;
    this.code = code;
  }
}

/** Another agent process already owns the storage folder. */
export class LockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockError';
  }
}

/**
 * A spool file the agent must not send as it is: not a regular file (a link, pipe or device),
 * content that no longer hashes to the hash in its name, or far larger than any the agent writes.
 * It is quarantined, never sent.
 */
export class SpoolFileRejected extends CodedError<'NotARegularFile' | 'ContentHashMismatch' | 'TooLarge'> {
  constructor(code: SpoolFileRejected['code'], message: string) {
    super('SpoolFileRejected', code, message);
  }
}
