// Secret masking for every line the agent writes: log files, console, status.json, error output.
// Its own module, without winston, so that `validate` and `--version` (which register secrets
// while reading the config) start without loading the logging library.

const REDACTED = '**REDACTED**';
const registeredSecrets = new Set<string>();

/** Masks `value` wherever it would appear in a log line from now on. Short values are ignored. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) registeredSecrets.add(value);
}

export function redactText(text: string): string {
  let result = text;
  for (const secret of registeredSecrets) result = result.split(secret).join(REDACTED);
  return result;
}
