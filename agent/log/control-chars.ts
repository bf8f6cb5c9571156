// Text from elsewhere (an Open-Meteo `reason`, an S3 error message, a file name in the dump) must
// not steer a support person's terminal: ESC starts escape sequences (clear the screen, recolour,
// set the window title), CR and LF can overwrite or forge lines, and bidi overrides reorder what
// is shown. Every line the agent prints or logs passes through here; such characters are shown as
// visible escapes (\x1b, \r, \u202e) instead.

// C0 controls, DEL, C1 controls, line/paragraph separators, bidi embeddings/overrides/isolates.
// eslint-disable-next-line no-control-regex -- control characters are exactly what is matched
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- the same, without LF and TAB
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(char: string): string {
  const named = NAMED[char];
  if (named) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One value inside a line: every control character escaped, newlines included. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, visible);
}

/** Whole output the agent composed itself: its own newlines and tabs kept, all else escaped. */
export function escapeControlKeepLines(text: string): string {
  return text.replace(CONTROL_BUT_LINES, visible);
}
