import { hostname } from 'node:os';
import packageJson from '../package.json' with { type: 'json' };
import type { AgentIdentity } from './envelope/records.ts';

// The binary build (installer/) replaces `globalThis.__DATAPIPE_BUILD__` with the commit it was
// built from; a development run from source has none.
declare global {
  var __DATAPIPE_BUILD__: { commit: string } | undefined;
}

/** The agent's version, from package.json (the binary build embeds the same file). */
export const AGENT_VERSION: string = packageJson.version;

/** The git commit the binary was built from, or 'source' for a run from the source tree. */
export const AGENT_COMMIT: string = globalThis.__DATAPIPE_BUILD__?.commit ?? 'source';

export function agentIdentity(): AgentIdentity {
  return { version: AGENT_VERSION, host: hostname() };
}
