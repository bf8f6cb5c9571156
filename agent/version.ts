import { hostname } from 'node:os';
import packageJson from '../package.json' with { type: 'json' };
import type { AgentIdentity } from './envelope/records.ts';

/** The agent's version, from package.json (the binary build embeds the same file). */
export const AGENT_VERSION: string = packageJson.version;

export function agentIdentity(): AgentIdentity {
  return { version: AGENT_VERSION, host: hostname() };
}
