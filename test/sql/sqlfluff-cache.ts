// Remembers sqlfluff's verdict per statement so a re-run of the grammar check parses only the
// statements that changed: a cold run parses every statement (sqlfluff needs ~0.5 s per MERGE),
// a warm one takes a second. The key is the sqlfluff version line, the parse arguments and the
// exact file content parsed, so a verdict is reused only for byte-identical input to the same
// sqlfluff. One small JSON file per key, written by rename, so parallel runs (several worktrees
// share node_modules) never see half a file. Any cache error just means "not cached".
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './sql-scripts.ts';

export const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'datapipe-sqlfluff');

export interface Verdict {
  /** The unparsable text sqlfluff reported, or null when the statement parsed. */
  unparsable: string | null;
}

export interface ParseCache {
  get(input: string): Verdict | undefined;
  set(input: string, verdict: Verdict): void;
}

export function fileCache(version: string, args: readonly string[], dir: string = CACHE_DIR): ParseCache {
  const path = (input: string) => join(dir, `${createHash('sha256').update(`${version}\0${args.join(' ')}\0${input}`).digest('hex')}.json`);
  return {
    get(input) {
      try {
        const verdict = JSON.parse(readFileSync(path(input), 'utf8')) as Verdict;
        return typeof verdict.unparsable === 'string' || verdict.unparsable === null ? verdict : undefined;
      } catch {
        return undefined;
      }
    },
    set(input, verdict) {
      try {
        mkdirSync(dir, { recursive: true });
        const target = path(input);
        const temp = `${target}.${process.pid}.tmp`;
        writeFileSync(temp, JSON.stringify(verdict));
        renameSync(temp, target);
      } catch {
        // Read-only or missing node_modules: the check still runs, only uncached.
      }
    },
  };
}
