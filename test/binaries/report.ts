// One line per check, the way CI logs are read: PASS / FAIL / SKIP, the check's name, how long it
// took, and what was seen (on FAIL: what went wrong). The process exit code comes from here.
export type Outcome = 'PASS' | 'FAIL' | 'SKIP';

export interface CheckResult {
  outcome: Outcome;
  name: string;
}

const results: CheckResult[] = [];

/** Runs one check; a thrown error is its FAIL line, a returned string its PASS detail. */
export async function check(name: string, body: () => Promise<string>): Promise<boolean> {
  const started = Date.now();
  try {
    const detail = await body();
    record('PASS', name, `${seconds(started)}  ${detail}`);
    return true;
  } catch (error) {
    record('FAIL', name, `${seconds(started)}  ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}

export function skip(name: string, reason: string): void {
  record('SKIP', name, reason);
}

export function summarise(started: number): number {
  const count = (outcome: Outcome): number => results.filter((result) => result.outcome === outcome).length;
  console.log(`smoke: ${count('PASS')} passed, ${count('FAIL')} failed, ${count('SKIP')} skipped in ${seconds(started)}`);
  return count('FAIL') > 0 || count('PASS') === 0 ? 1 : 0;
}

function record(outcome: Outcome, name: string, detail: string): void {
  results.push({ outcome, name });
  console.log(`${outcome.padEnd(4)}  ${name.padEnd(42)}  ${oneLine(detail)}`);
}

function seconds(started: number): string {
  return `(${((Date.now() - started) / 1000).toFixed(1)} s)`;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 600 ? `${flat.slice(0, 600)}...` : flat;
}
