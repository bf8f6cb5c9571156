// The doctor: the technician's commissioning test. Runs every check in a fixed order and returns
// the checklist; it never throws for what it finds (a finding is a FAIL line with a fix). Checks
// that cannot run because an earlier one failed are SKIP lines saying why, so one mistake gives
// one FAIL. Nothing here writes to the agent's spool, state or logs; the only write outside the
// machine is the S3 canary object.
import type { AgentConfig } from '../config/types.ts';
import type { Logger } from '../log/logger.ts';
import { createUndiciDispatcher, expandProxySetting } from '../net/index.ts';
import { LINUX } from '../service/layout.ts';
import type { ServiceStatus } from '../service/types.ts';
import { s3EndpointUrl } from '../sinks/s3/endpoint.ts';
import { AGENT_VERSION } from '../version.ts';
import { checkClock, readingsFrom } from './clock.ts';
import { checkConfig, checkCredentials, checkDisk, checkFolders } from './local-checks.ts';
import { checkCaFile, checkDns, checkProxy, checkReachable, type Endpoint } from './network-checks.ts';
import { probeEndpoint, type ProbeResult } from './probe.ts';
import { checkOpenMeteoCall, checkS3Canary } from './remote-checks.ts';
import { checkOpenMeteoBudget } from './budget-check.ts';
import { checkRolesAnywhere } from './roles-anywhere-check.ts';
import { checkService } from './service-check.ts';
import { pass, skip, warn, type CheckResult, type CheckStatus, type DoctorReport } from './types.ts';
import { escapeControl } from '../log/control-chars.ts';

export interface DoctorOptions {
  /** Asks the OS service manager; doctor's service line. */
  queryService: () => Promise<ServiceStatus>;
  /** Linux account the service runs as (checked when doctor runs as root). */
  serviceUser?: string;
  now?: () => Date;
  /** Per endpoint probe; default 10 s. */
  probeTimeoutMs?: number;
}

const SILENT: Logger = { error() {}, warn() {}, info() {}, debug() {}, child: () => SILENT };

export function endpointsOf(config: AgentConfig): { openMeteo: Endpoint; s3: Endpoint } {
  return {
    openMeteo: { id: 'open-meteo', label: 'Open-Meteo', url: config.openMeteo.url, setting: '[open_meteo] url' },
    s3: { id: 's3', label: 'S3', url: s3EndpointUrl(config.s3), setting: config.s3.endpoint ? '[s3] endpoint' : '[s3] region' },
  };
}

export async function runDoctorChecks(configFile: string, options: DoctorOptions): Promise<DoctorReport> {
  const now = options.now ?? (() => new Date());
  const { result, config } = await checkConfig(configFile);
  const checks: CheckResult[] = [result];
  if (config) checks.push(...(await checksWithConfig(config, options, now)));
  else checks.push(skip('rest', 'Folders, disk, network, Open-Meteo, S3 and clock', 'not checked: the config file is invalid (see above)'));
  checks.push(checkService(await options.queryService().catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))), config?.file ?? configFile));
  return { agentVersion: AGENT_VERSION, config: config?.file ?? configFile, generatedAt: now().toISOString(), checks, summary: summarise(checks) };
}

async function checksWithConfig(config: AgentConfig, options: DoctorOptions, now: () => Date): Promise<CheckResult[]> {
  const checks: CheckResult[] = [];
  checks.push(...(await checkFolders(config, options.serviceUser ?? LINUX.user)));
  checks.push(await checkDisk(config));
  const credentials = config.rolesAnywhere ? await checkRolesAnywhere(config, SILENT, now()) : await checkCredentials(config);
  checks.push(credentials.result);
  const ca = await checkCaFile(config.network);
  checks.push(ca);
  checks.push(await checkOpenMeteoBudget(config, now()));

  const { openMeteo, s3 } = endpointsOf(config);
  const timeout = options.probeTimeoutMs ?? 10_000;
  const probes: ProbeResult[] = [];
  // proxy = system / pac+...: the same per-target decision the service makes at start-up.
  const expanded = await expandProxySetting(config.network, [openMeteo.url, s3.url]);
  const [openMeteoNetwork, s3Network] = expanded.networks as [AgentConfig['network'], AgentConfig['network']];
  if (expanded.source) {
    checks.push(expanded.warnings.length > 0
      ? warn('network.proxy', 'Proxy setting', expanded.warnings.join(' '), 'Fix the setting named above, or set [network] proxy = http://host:port.')
      : pass('network.proxy', 'Proxy setting', `${expanded.source}: read; the lines below show what it chose per endpoint`));
  }
  for (const [index, endpoint] of [openMeteo, s3].entries()) {
    const network = index === 0 ? openMeteoNetwork : s3Network;
    checks.push(await checkProxy(endpoint, network), await checkDns(endpoint, network));
    const probe = await probeEndpoint(endpoint.url, network, timeout);
    probes.push(probe);
    checks.push(checkReachable(endpoint, probe));
  }
  const [openMeteoProbe, s3Probe] = probes;
  const networkBroken = ca.status === 'FAIL';

  if (!openMeteoProbe?.reachable || networkBroken) {
    checks.push(skip('open-meteo.call', 'Open-Meteo: one real request', 'not tried: Open-Meteo is not reachable (see above)'));
  } else {
    const dispatcher = await createUndiciDispatcher(openMeteoNetwork, config.openMeteo.url);
    try {
      checks.push(await checkOpenMeteoCall(config, dispatcher, SILENT));
    } finally {
      await dispatcher.close();
    }
  }
  if (!s3Probe?.reachable || networkBroken || !credentials.usable) {
    const why = credentials.usable ? 'S3 is not reachable (see above)' : 'the S3 credentials are unusable (see above)';
    checks.push(skip('s3.canary', 'S3: canary upload (PutObject)', `not tried: ${why}`));
  } else {
    checks.push(await checkS3Canary({ ...config, network: s3Network }, credentials.credentials, s3.url, SILENT, now()));
  }
  if ('requestHandler' in credentials) credentials.requestHandler?.destroy();
  checks.push(checkClock(readingsFrom(probes)));
  return checks;
}

function summarise(checks: CheckResult[]): Record<CheckStatus, number> {
  const summary: Record<CheckStatus, number> = { PASS: 0, WARN: 0, FAIL: 0, SKIP: 0 };
  for (const check of checks) summary[check.status] += 1;
  return summary;
}

/** The checklist for people: one line per check, the detail's extra lines and the fix indented. */
export function formatDoctorReport(report: DoctorReport): string {
  const lines = [`datapipe-agent ${report.agentVersion} doctor  config ${report.config}  ${report.generatedAt}`, ''];
  for (const check of report.checks) {
    // Details quote servers and files (an Open-Meteo reason, a certificate subject): escaped.
    const [first = '', ...more] = check.detail.split('\n').map(escapeControl);
    lines.push(`${check.status.padEnd(4)}  ${escapeControl(check.title)}: ${first}`);
    for (const line of more) lines.push(`      ${line}`);
    if (check.fix) lines.push(`      Fix: ${escapeControl(check.fix)}`);
  }
  const { PASS, WARN, FAIL, SKIP } = report.summary;
  lines.push('', `${PASS} passed, ${WARN} warning(s), ${FAIL} failed, ${SKIP} skipped.${FAIL > 0 ? ' Fix the FAIL lines and run doctor again.' : ' Ready.'}`);
  return `${lines.join('\n')}\n`;
}
