// Every exit code the agent uses, in one place. Service managers and install scripts rely on them.
export const ExitCode = {
  /** Done; for once/drain: everything collected is in S3 and the dump is empty. */
  ok: 0,
  /** Runtime failure: data not (yet) delivered, or an unexpected error. Nothing was lost. */
  failed: 1,
  /** The config file is invalid, or the command line is wrong. */
  invalidConfig: 2,
  /** Some locations could not be collected this cycle; what was collected is in S3. */
  partial: 3,
  /** Another agent process holds the storage folder. */
  locked: 4,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
