// Which program a service manager should start: this very executable when it is the
// self-contained binary, or the Node runtime plus agent/cli/bin.ts when run from source (tests,
// development). `--bin` on `service install` overrides both (install.sh passes the final path).
import { resolve } from 'node:path';

export interface AgentProgram {
  /** Absolute path of the program the service manager starts. */
  executable: string;
  /** Arguments that come before the agent's command (the script, for a source run). */
  leadingArgs: string[];
}

export async function currentProgram(explicitBinary?: string): Promise<AgentProgram> {
  if (explicitBinary !== undefined) return { executable: resolve(explicitBinary), leadingArgs: [] };
  if (isSingleExecutable()) return { executable: process.execPath, leadingArgs: [] };
  const script = process.argv[1];
  return { executable: process.execPath, leadingArgs: script === undefined ? [] : [resolve(script)] };
}

/** Whether this process is the shipped binary (a Node single executable) rather than a run from
 *  source; also reported in the support bundle (support/facts.ts). */
export function isSingleExecutable(): boolean {
  try {
    // node:sea exists in Node >= 20; getBuiltinModule keeps this synchronous.
    return (process.getBuiltinModule?.('node:sea') as { isSea?: () => boolean } | undefined)?.isSea?.() ?? false;
  } catch {
    return false;
  }
}
