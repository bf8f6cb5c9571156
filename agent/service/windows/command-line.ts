// Windows command-line quoting (the rules of CommandLineToArgvW and the MSVC runtime, which NSSM
// and Node both use): NSSM stores AppParameters as one string and hands it to the agent, so the
// config path must be quoted the way the agent's runtime will split it again.

/** Quotes one argument so CommandLineToArgvW returns it unchanged. */
export function quoteWindowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let quoted = '"';
  let backslashes = 0;
  for (const char of arg) {
    if (char === '\\') {
      backslashes += 1;
      continue;
    }
    // Backslashes are literal unless they come right before a quote.
    quoted += char === '"' ? '\\'.repeat(backslashes * 2 + 1) + '"' : '\\'.repeat(backslashes) + char;
    backslashes = 0;
  }
  return `${quoted}${'\\'.repeat(backslashes * 2)}"`;
}

export function joinWindowsArgs(args: readonly string[]): string {
  return args.map(quoteWindowsArg).join(' ');
}
