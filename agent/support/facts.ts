// Facts about this machine and the agent for the support bundle: versions, OS, free disk, network
// settings (masked), clock offset (bounded probes). Every value is safe to send to support.
import { statfs } from 'node:fs/promises';
import os from 'node:os';
import type { AgentConfig } from '../config/types.ts';
import { describeOffset, effectiveOffset, readingsFrom } from '../doctor/clock.ts';
import { probeEndpoint } from '../doctor/probe.ts';
import { endpointsOf } from '../doctor/run-checks.ts';
import { describeProxy, readCaFile, resolveProxy } from '../net/index.ts';
import { X509Certificate } from 'node:crypto';
import { isSingleExecutable } from '../service/program.ts';
import { AGENT_COMMIT, AGENT_VERSION } from '../version.ts';

export function versionFacts(): Record<string, unknown> {
  return {
    agent: AGENT_VERSION,
    commit: AGENT_COMMIT,
    node: process.version,
    v8: process.versions.v8,
    openssl: process.versions.openssl,
    executable: process.execPath,
    singleExecutable: isSingleExecutable(),
    os: `${os.type()} ${os.release()} (${os.platform()} ${os.arch()})`,
  };
}

export async function osFacts(storageDir: string | undefined): Promise<Record<string, unknown>> {
  const facts: Record<string, unknown> = {
    platform: os.platform(),
    release: os.release(),
    version: os.version(),
    arch: os.arch(),
    hostname: os.hostname(),
    uptimeHours: Math.round((os.uptime() / 3600) * 10) / 10,
    cpus: os.cpus().length,
    loadAverage: os.loadavg(),
    memoryTotalMb: Math.round(os.totalmem() / 1048576),
    memoryFreeMb: Math.round(os.freemem() / 1048576),
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    localTime: new Date().toString(),
    user: safeUser(),
  };
  if (storageDir) {
    try {
      const fs = await statfs(storageDir);
      facts.storageDiskFreeMb = Math.round((Number(fs.bavail) * Number(fs.bsize)) / 1048576);
      facts.storageDiskTotalMb = Math.round((Number(fs.blocks) * Number(fs.bsize)) / 1048576);
    } catch (error) {
      facts.storageDiskFree = `unknown (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
    }
  }
  return facts;
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Proxy per endpoint (as the agent decides it), the proxy variables (masked), the CA file. */
export async function networkFacts(config: AgentConfig): Promise<Record<string, unknown>> {
  const { openMeteo, s3 } = endpointsOf(config);
  const environment: Record<string, string> = {};
  for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'NODE_EXTRA_CA_CERTS', 'NODE_USE_SYSTEM_CA']) {
    const value = process.env[name];
    if (value !== undefined) environment[name] = /proxy$/i.test(name) && !/^no_proxy$/i.test(name) ? describeProxy(value) : value;
  }
  return {
    configProxy: config.network.proxy === undefined ? null : describeProxy(config.network.proxy),
    openMeteo: { host: new URL(openMeteo.url).host, proxy: safeProxy(openMeteo.url, config) },
    s3: { host: new URL(s3.url).host, proxy: safeProxy(s3.url, config) },
    environment,
    caFile: config.network.caFile === undefined ? null : await describeCaFile(config.network.caFile),
  };
}

function safeProxy(url: string, config: AgentConfig): string {
  try {
    return describeProxy(resolveProxy(url, config.network));
  } catch (error) {
    return `unusable: ${error instanceof Error ? error.message : String(error)}`;
  }
}

async function describeCaFile(file: string): Promise<Record<string, unknown>> {
  try {
    const certificates = (await readCaFile(file)).map((pem) => {
      const cert = new X509Certificate(pem);
      return { subject: cert.subject, issuer: cert.issuer, validFrom: cert.validFrom, validTo: cert.validTo, sha256: cert.fingerprint256 };
    });
    return { path: file, certificates };
  } catch (error) {
    return { path: file, problem: error instanceof Error ? error.message : String(error) };
  }
}

/** Clock offset against both endpoints, with short timeouts so a dead network cannot hang the bundle. */
export async function clockFacts(config: AgentConfig, timeoutMs: number): Promise<Record<string, unknown>> {
  const { openMeteo, s3 } = endpointsOf(config);
  const probes = await Promise.all([openMeteo, s3].map((endpoint) => probeEndpoint(endpoint.url, config.network, timeoutMs)));
  const readings = readingsFrom(probes);
  return {
    measuredAt: new Date().toISOString(),
    readings: readings.map((r) => ({ ...r, meaning: describeOffset(effectiveOffset(r)) })),
    unreachable: probes.flatMap((p) => (p.reachable ? [] : [{ host: p.host, code: p.code, message: p.message }])),
  };
}
