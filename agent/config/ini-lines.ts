// Step 0 of loading config.ini: turn its text into sections and `key = value` entries, each with
// the 1-based line it came from, so every later problem can point at a line.
//
// Why not the `ini` package: it has no line numbers and silently keeps only the last of two equal
// keys or sections, and its value handling surprises technicians: an unquoted ';' or '#' anywhere
// ends the value (`a;b` -> `a`), double-quoted values go through JSON.parse (so
// "C:\new" becomes a newline and "C:\Program Files" keeps its quotes), `true` becomes a boolean and
// `[a.b]` nests. This scanner's rules are small and documented in docs/configuration.md:
//   - `;` or `#` starts a comment at the start of a line, or after whitespace inside a value;
//   - a value wrapped in "..." or '...' is taken literally (backslashes included, no escapes);
//   - everything else is taken as written, trimmed; backslashes are never special.
// Duplicates are kept (not merged) so the shape step can report them with both line numbers.

export interface IniEntry {
  key: string;
  value: string;
  line: number;
}

export interface IniSection {
  name: string;
  line: number;
  entries: IniEntry[];
}

export interface IniSyntaxProblem {
  line: number;
  /** `section.key`, `section`, or `file` when the line belongs to no section. */
  where: string;
  message: string;
}

export interface ScannedIni {
  /** In file order; a section name that appears twice appears twice here. */
  sections: IniSection[];
  problems: IniSyntaxProblem[];
}

const SECTION_HEADER = /^\[(.*)\]\s*(?:[;#].*)?$/;

export interface ScanOptions {
  /** Keys before the first [section] go into a section named '' instead of being a problem (the
   *  AWS credentials file allows them; config.ini does not). */
  allowTopLevelKeys?: boolean;
}

export function scanIni(text: string, options: ScanOptions = {}): ScannedIni {
  const sections: IniSection[] = [];
  const problems: IniSyntaxProblem[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  let current: IniSection | undefined;
  if (options.allowTopLevelKeys) {
    current = { name: '', line: 0, entries: [] };
    sections.push(current);
  }
  lines.forEach((rawLine, index) => {
    const line = index + 1;
    const trimmed = rawLine.trim();
    if (trimmed === '' || trimmed.startsWith(';') || trimmed.startsWith('#')) return;
    if (trimmed.startsWith('[')) {
      // After a broken header its keys are dropped quietly: the header's error is the one to fix.
      current = readSectionHeader(trimmed, line, problems) ?? { name: '', line, entries: [] };
      if (current.name !== '') sections.push(current);
      return;
    }
    const where = current?.name || 'file';
    const equals = trimmed.indexOf('=');
    if (equals < 0) {
      // The text is not echoed: a line without '=' may be a pasted key or password.
      problems.push({ line, where, message: "cannot read this line; expected \"key = value\", a [section] header or a comment starting with ';'" });
      return;
    }
    const key = trimmed.slice(0, equals).trim();
    if (key === '') {
      problems.push({ line, where, message: "the line starts with '=' but has no key before it; expected \"key = value\"" });
      return;
    }
    if (!current) {
      problems.push({ line, where: key, message: `"${key}" is outside any section; put it under its [section] header` });
      return;
    }
    const value = readValue(trimmed.slice(equals + 1));
    if ('error' in value) {
      problems.push({ line, where: current.name === '' ? key : `${current.name}.${key}`, message: value.error });
      return;
    }
    current.entries.push({ key, value: value.value, line });
  });
  return { sections, problems };
}

function readSectionHeader(trimmed: string, line: number, problems: IniSyntaxProblem[]): IniSection | undefined {
  const match = SECTION_HEADER.exec(trimmed);
  if (!match) {
    problems.push({ line, where: 'file', message: `cannot read section header "${trimmed}"; expected "[name]" on a line of its own` });
    return undefined;
  }
  const name = (match[1] ?? '').trim();
  if (name === '') {
    problems.push({ line, where: 'file', message: 'empty section header "[]"; expected a section name such as [s3]' });
    return undefined;
  }
  return { name, line, entries: [] };
}

/** The value after '=': quoted values are literal; otherwise cut at a comment and trimmed. */
export function readValue(afterEquals: string): { value: string } | { error: string } {
  const text = afterEquals.trim();
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    const close = text.indexOf(quote, 1);
    if (close < 0) return { error: `the value opens a ${quote} quote but never closes it; add the closing ${quote}` };
    const rest = text.slice(close + 1).trim();
    if (rest !== '' && !rest.startsWith(';') && !rest.startsWith('#')) {
      return { error: `unexpected text after the closing ${quote} quote; put a comment after ';' or remove the quotes` };
    }
    return { value: text.slice(1, close) };
  }
  return { value: cutComment(text).trimEnd() };
}

function cutComment(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if ((char === ';' || char === '#') && (i === 0 || /\s/.test(text[i - 1] ?? ''))) return text.slice(0, i);
  }
  return text;
}
