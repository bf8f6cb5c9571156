// Every line the agent logs, by name: the one place its wording lives. A call site names the
// event (`logger.warn(LogEvents.uploadFailed, fields)`); the logger prints the message and adds
// `event=<name>` at the end of the line, so support can grep for a name that never changes when
// a sentence is improved, and tests match on names instead of prose. The Logger's methods only
// take events of their own level (`warn` takes warn events), so a line cannot bypass this file and
// the level printed is the level listed here (as zx's typed log entries keyed on `kind`, and
// Vector's internal events, one type per event).
//
// `guide` is the docs/support-guide.md section that explains the event: every error and warn
// event must have one, and test/support/support-guide.test.ts checks that its row there names the
// event and quotes the message. Names are `<area>.<what-happened>`, stable once released: customers'
// monitoring may match them. Messages follow STYLE.md: a short sentence, data in fields.
// The few lines written to stderr without the logger (the log file itself failing, a full disk
// before the logger exists) take their sentence and name from here too and end in `event=`.
import type { LogLevel } from '../config/types.ts';

/** The headings of docs/support-guide.md's "Log messages" tables, as GitHub renders their anchors. */
export type GuideSection = 'collect-the-collection-cycle' | 'drain-retrying-the-dump' | 'spool-agent-and-scheduler' | 'open-meteo-the-weather-source';

/** One kind of log line. */
export interface LogEvent<L extends LogLevel = LogLevel> {
  /** `<area>.<what-happened>`, printed as `event=<name>`. */
  readonly name: string;
  readonly level: L;
  /** The sentence the line starts with. */
  readonly message: string;
  readonly guide?: GuideSection;
}

/** An event whose sentence is built from values (a warning text from elsewhere, a count). */
export interface LogEventTemplate<L extends LogLevel, A extends unknown[]> {
  (...args: A): LogEvent<L>;
  readonly name: string;
  readonly level: L;
  readonly guide?: GuideSection;
  /** How the guide quotes the sentence, with `<placeholders>` for the values. */
  readonly shownInGuide: string;
}

function event<L extends LogLevel>(level: L, name: string, message: string, guide?: GuideSection): LogEvent<L> {
  return guide ? { name, level, message, guide } : { name, level, message };
}

function template<L extends LogLevel, A extends unknown[]>(
  level: L,
  name: string,
  render: (...args: A) => string,
  shownInGuide: string,
  guide?: GuideSection,
): LogEventTemplate<L, A> {
  const make = (...args: A): LogEvent<L> => event(level, name, render(...args), guide);
  // A function's own `name` is read-only to assignment; defineProperties replaces it.
  return Object.defineProperties(make, {
    name: { value: name },
    level: { value: level, enumerable: true },
    guide: { value: guide, enumerable: true },
    shownInGuide: { value: shownInGuide, enumerable: true },
  }) as unknown as LogEventTemplate<L, A>;
}

const COLLECT: GuideSection = 'collect-the-collection-cycle';
const DRAIN: GuideSection = 'drain-retrying-the-dump';
const AGENT: GuideSection = 'spool-agent-and-scheduler';
const OPEN_METEO: GuideSection = 'open-meteo-the-weather-source';

export const LogEvents = {
  // --- collect: the collection cycle (jobs/collect.ts) ---
  cycleFinished: event('info', 'collect.cycle-finished', 'Cycle finished.'),
  observationNotWritten: event('error', 'collect.observation-not-written', 'Could not write the observation of one location; it is reported as failed and polled again next cycle.', COLLECT),
  answerUnreadable: event('error', 'collect.answer-unreadable', 'Could not read the Open-Meteo answer; every location of this cycle is reported as failed and polled again next cycle.', COLLECT),
  uploadFailed: event('warn', 'collect.upload-failed', 'Upload failed; the file is kept in the dump and retried on the retry schedule.', COLLECT),
  uploadRefused: event('error', 'collect.upload-refused', 'Upload refused by S3; the file is kept in the dump until this is fixed.', COLLECT),
  collectionPaused: event('error', 'collect.paused-dump-full', 'Collection paused: the dump folder is full. Nothing is deleted; collection resumes by itself once uploads free space. Fix the S3 upload problem (see the last s3 error), or raise storage.max_dump_mb if the disk allows.', COLLECT),

  // --- drain: the dump retry pass (jobs/drain.ts, jobs/drain-quarantine.ts) ---
  passStarted: event('info', 'drain.pass-started', 'Dump retry pass started.'),
  dumpFileUploaded: event('debug', 'drain.file-uploaded', 'Dump file uploaded.'),
  packMissingFiles: event('error', 'drain.pack-missing-files', "An interrupted pack is missing files that the agent did not delete (antivirus, a person or a disk check removed them); nothing was deleted, and the files still present are sent one by one. The missing files' records may be lost: find out what removed them.", DRAIN),
  packRefused: event('warn', 'drain.pack-refused', 'S3 refused a pack as one object; its files are sent one by one instead.', DRAIN),
  packChanged: event('error', 'drain.pack-changed', 'An interrupted pack could not be finished because its files changed on disk; they are sent one by one instead. Check the disk for errors.', DRAIN),
  packResent: event('info', 'drain.pack-resent', 'A pack left unfinished by an earlier retry pass (its upload failed, or the agent stopped) was sent again (same bytes, same key) and its files deleted.'),
  packAlreadyStored: event('info', 'drain.pack-already-stored', 'A pack left unfinished by an earlier retry pass was already in S3; its remaining files were deleted.'),
  packUploaded: event('debug', 'drain.pack-uploaded', 'Dump files packed and uploaded.'),
  packCleanupFailed: event('warn', 'drain.pack-cleanup-failed', 'A pack is in S3 but some of its files could not be deleted yet; the next retry pass deletes them (they are not sent again as new data).', DRAIN),
  passFinished: event('info', 'drain.pass-finished', 'Dump retry pass finished.'),
  passStoppedEarly: event('warn', 'drain.pass-stopped-early', 'Dump retry pass stopped early: S3 is not reachable or failing; files stay in the dump and are retried on the retry schedule.', DRAIN),
  passStoppedRefused: event('error', 'drain.pass-stopped-refused', 'Dump retry pass stopped: S3 refused the upload. Files stay in the dump until this is fixed.', DRAIN),
  entryQuarantined: event('error', 'drain.entry-quarantined', 'An entry was moved to the quarantine folder; it is not sent and not deleted. Read the reason, fix the cause, then run datapipe-agent requeue -c <config> <file> to send it again.', DRAIN),
  quarantineFailed: event('error', 'drain.quarantine-failed', 'An entry that must not be sent could not be moved to the quarantine folder; it is skipped and tried again next pass.', DRAIN),

  // --- spool: files an interrupted run left behind (jobs/recover-temp.ts) ---
  tempRecovered: event('warn', 'spool.temp-recovered', 'Files left in temp/ by an interrupted run were moved to the dump; they will be uploaded.', AGENT),
  partialsRemoved: event('warn', 'spool.partials-removed', 'Incomplete files from an interrupted write were removed (they were never acknowledged).', AGENT),

  // --- agent: the service's lifecycle (jobs/service-loop.ts) ---
  agentStarted: event('info', 'agent.started', 'Agent started.'),
  stopRequested: event('info', 'agent.stop-requested', 'Stop requested; finishing the current step.'),
  /** Written to stderr by `run` before a logger exists; `<storage dir>` is its disk. */
  diskFullAtStart: template(
    'error',
    'agent.disk-full-at-start',
    (dir: string, error: string, retrySeconds: number) =>
      `Cannot start: the disk holding ${dir} is full (${error}). Nothing is lost; retrying in ${retrySeconds} s. Free space on that disk (the dump is capped by [storage] max_dump_mb; something else filled it).`,
    'Cannot start: the disk holding <storage dir> is full (ENOSPC ...). Nothing is lost; retrying in 30 s.',
    AGENT,
  ),
  tempNotMovedAtStop: event('warn', 'agent.temp-not-moved-at-stop', 'Files left in temp/ could not be moved to the dump while stopping; the next start moves them.', AGENT),
  agentStopped: event('info', 'agent.stopped', 'Agent stopped.'),
  agentStoppedAbandoned: event('info', 'agent.stopped-step-abandoned', 'Agent stopped; the step in progress was abandoned (its file is kept and retried).'),

  // --- scheduler (jobs/scheduler.ts) ---
  tickSkipped: event('debug', 'scheduler.tick-skipped', 'Previous run still busy; this tick is skipped.'),
  repeatedLocalTimeSkipped: event('debug', 'scheduler.repeated-local-time', 'This local time already ran before the clocks went back; this tick is skipped.'),
  jobFailed: event('error', 'scheduler.job-failed', 'Job failed unexpectedly; it runs again at its next scheduled time.', AGENT),
  clockJumped: event('warn', 'scheduler.clock-jumped', 'The system clock jumped; the schedules were restarted from the new time.', AGENT),

  // --- network and s3 set-up (jobs/runtime.ts, sinks/s3/) ---
  proxyNotApplied: event('warn', 'network.proxy-not-applied', 'The proxy setting could not be applied; connecting directly.', AGENT),
  networkSettings: event('debug', 'network.settings', 'Network settings.'),
  /** The sentence is the credentials file reader's own warning (e.g. a file other users can read). */
  credentialsFileWarning: template('warn', 's3.credentials-file-warning', (warning: string) => warning, '(credentials file warning)', AGENT),
  sinkReady: event('debug', 's3.sink-ready', 'S3 sink ready.'),
  fileUploaded: event('debug', 's3.file-uploaded', 'File uploaded.'),
  objectAlreadyStored: event('info', 's3.already-stored', 'The object was already in S3 (an earlier attempt or run stored it); the file counts as delivered.'),
  rolesAnywhereObtained: event('info', 'roles-anywhere.credentials-obtained', 'Temporary S3 credentials obtained from IAM Roles Anywhere.'),
  rolesAnywhereRenewed: event('debug', 'roles-anywhere.credentials-renewed', 'Temporary S3 credentials renewed through IAM Roles Anywhere.'),

  // --- open-meteo: the weather source (sources/open-meteo/) ---
  requestFinished: event('debug', 'open-meteo.request-finished', 'Open-Meteo request finished.'),
  noUsableData: event('warn', 'open-meteo.no-usable-data', 'Open-Meteo sent no usable data for some locations; they will be polled again next cycle.', OPEN_METEO),
  keyStillRedirected: event('debug', 'open-meteo.key-still-redirected', 'Open-Meteo still redirects requests with an API key to the commercial endpoint.'),
  requestRefused: event('error', 'open-meteo.request-refused', 'Open-Meteo refused the request; fix the config as the error says. The agent asks again next cycle.', OPEN_METEO),
  requestFailed: event('warn', 'open-meteo.request-failed', 'Open-Meteo request failed; its locations are reported as failed and polled again next cycle.', OPEN_METEO),
  noDataForLocation: event('error', 'open-meteo.no-data-for-location', 'Open-Meteo has no data for a location; it is reported as failed and asked for again once a day. Check its coordinates.', OPEN_METEO),
  skippedBackingOff: event('warn', 'open-meteo.skipped-backing-off', 'Skipped Open-Meteo requests while backing off; their locations are reported as failed.', OPEN_METEO),
  waitingForBudget: event('debug', 'open-meteo.waiting-for-budget', "Waiting for room in the free API's per-minute call budget."),
  budgetSpent: event('error', 'open-meteo.budget-spent', 'The free Open-Meteo API call budget is spent; no requests until it resets. Reduce locations, variables or the schedule, or use the commercial endpoint.', OPEN_METEO),

  // --- log: the logger's own trouble, written straight to stderr (log/resilient-file.ts, log/logger.ts) ---
  logFileFailed: event('error', 'log.file-failed', 'Writing the log file failed; log lines go to standard error until it works again, and the agent keeps collecting. Free space in the log folder or fix its permissions.', AGENT),
  logFileRecovered: template(
    'info',
    'log.file-recovered',
    (lines: number, since: string) => `Writing the log file works again; ${lines} line(s) since ${since} went to standard error only.`,
    'Writing the log file works again; <n> line(s) since <time> went to standard error only.',
    AGENT,
  ),
  transportFailed: event('error', 'log.transport-failed', 'A log transport failed; the agent keeps running.', AGENT),
} as const;

export type LogEventKey = keyof typeof LogEvents;

/** Every entry, templates included: what the support-guide test and the catalogue test walk. */
export function listLogEvents(): (LogEvent | LogEventTemplate<LogLevel, never[]>)[] {
  return Object.values(LogEvents) as (LogEvent | LogEventTemplate<LogLevel, never[]>)[];
}
