import { inspect } from 'node:util';

const REDACTED = '**REDACTED**';

/**
 * A value that must never reach a log, status file, support bundle or error message. Every way of
 * turning it into text prints `**REDACTED**`; only `reveal()` gives the value, and only the code
 * that hands it to a client (S3 credentials, the Open-Meteo api key) calls it.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}
