// Collects the problems of one config file while the steps run, so a technician sees every
// problem in one pass instead of fixing them one run at a time.
import type { ConfigProblem } from '../errors.ts';

export class ProblemList {
  readonly file: string;
  readonly items: ConfigProblem[] = [];
  /** `section.key` (and bare `section`) names that already have an error; later steps skip them. */
  readonly failed = new Set<string>();

  constructor(file: string) {
    this.file = file;
  }

  error(where: string, message: string, line?: number): void {
    this.add('error', where, message, line);
    this.failed.add(where);
  }

  warning(where: string, message: string, line?: number): void {
    this.add('warning', where, message, line);
  }

  hasErrors(): boolean {
    return this.items.some((problem) => problem.severity === 'error');
  }

  /** By line; problems without a line (a missing section, say) come last. Stable otherwise. */
  sorted(): ConfigProblem[] {
    return [...this.items].sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
  }

  private add(severity: ConfigProblem['severity'], where: string, message: string, line?: number): void {
    const problem: ConfigProblem = { severity, file: this.file, where, message };
    if (line !== undefined) problem.line = line;
    this.items.push(problem);
  }
}
