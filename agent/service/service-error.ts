// The one error the service commands throw: what went wrong, and what a person should do about
// it. The CLI prints both and exits 1 (config problems stay ConfigErrors, exit 2).
export class ServiceError extends Error {
  /** What the technician should do next, in one or two sentences. */
  readonly hint: string;
  constructor(message: string, hint: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServiceError';
    this.hint = hint;
  }
}
