// The shape of a doctor run: one CheckResult per line of the checklist. Shared by the checks, the
// text and JSON printers, and the support bundle (which reuses the endpoint probes for the clock).

export type CheckStatus = 'PASS' | 'WARN' | 'FAIL' | 'SKIP';

export interface CheckResult {
  /** Stable id for scripts reading --json (config, folders.storage, s3.canary, ...). */
  id: string;
  /** What was checked, for people. */
  title: string;
  status: CheckStatus;
  /** What was found: one sentence, no secrets. */
  detail: string;
  /** What a person should do; set for every WARN and FAIL. */
  fix?: string;
}

export interface DoctorReport {
  agentVersion: string;
  config: string;
  generatedAt: string;
  checks: CheckResult[];
  summary: Record<CheckStatus, number>;
}

export function pass(id: string, title: string, detail: string): CheckResult {
  return { id, title, status: 'PASS', detail };
}

export function warn(id: string, title: string, detail: string, fix: string): CheckResult {
  return { id, title, status: 'WARN', detail, fix };
}

export function fail(id: string, title: string, detail: string, fix: string): CheckResult {
  return { id, title, status: 'FAIL', detail, fix };
}

export function skip(id: string, title: string, detail: string): CheckResult {
  return { id, title, status: 'SKIP', detail };
}
