// The only way cli/ writes to the terminal: every write escapes control characters other than the
// newlines and tabs the agent puts there itself (log/control-chars.ts), so a value that slipped
// through unescaped still cannot move the cursor or clear the screen.
import { escapeControlKeepLines } from '../log/control-chars.ts';

export function writeOut(text: string): void {
  process.stdout.write(escapeControlKeepLines(text));
}

export function writeErr(text: string): void {
  process.stderr.write(escapeControlKeepLines(text));
}
