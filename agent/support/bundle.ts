// The support bundle: everything support staff need to diagnose a site remotely, as text entries
// for one zip. It is built even when the config is invalid (that is when it is needed most): then
// the config problems and the masked file are included and the parts that need a valid config
// say why they are missing. Every entry passes through the scrubber (mask.ts) before it is added.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readCredentialsFile } from '../config/credentials-file.ts';
import { validateConfigFile } from '../config/load.ts';
import { maskKeyId } from '../doctor/local-checks.ts';
import type { AgentConfig } from '../config/types.ts';
import { formatConfigProblem } from '../errors.ts';
import type { ServiceStatus } from '../service/types.ts';
import { buildStatusReport } from '../state/status-report.ts';
import { createStatusStore } from '../state/status-store.ts';
import { AGENT_VERSION } from '../version.ts';
import { clockFacts, networkFacts, osFacts, versionFacts } from './facts.ts';
import { inventoryFolder } from './inventory.ts';
import { QUARANTINE_FOLDER } from '../spool/quarantine.ts';
import { readRecentLogs } from './logs.ts';
import { createScrubber, maskIniText, proxySecrets } from './mask.ts';
import type { ZipEntry } from './zip.ts';

export interface BundleOptions {
  days: number;
  now?: Date;
  /** Per endpoint, for the clock offset; default 3 s. */
  clockTimeoutMs?: number;
  queryService?: () => Promise<ServiceStatus>;
}

interface Section {
  name: string;
  about: string;
  content: string;
}

export async function buildBundleEntries(configFile: string, options: BundleOptions): Promise<ZipEntry[]> {
  const now = options.now ?? new Date();
  const { config, problems } = await validateConfigFile(configFile);
  const rawConfig = await readFile(configFile, 'utf8').catch((error: NodeJS.ErrnoException) => `(cannot read ${configFile}: ${error.code ?? String(error)})`);
  const credentials = config?.s3.credentialsFile ? await readCredentialsKeys(config.s3.credentialsFile) : undefined;
  const scrubSecrets = createScrubber(knownSecrets(config, credentials?.values ?? []));
  // The access key id shows as the fingerprint doctor prints (AKIA…0001), wherever it appears,
  // so support can tell which key is in use without the bundle holding the whole id.
  const keyId = credentials?.accessKeyId;
  const scrub = (text: string): string => scrubSecrets(keyId && keyId.length > 8 ? text.split(keyId).join(maskKeyId(keyId)) : text);

  const sections: Section[] = [
    { name: 'config/config.ini', about: 'the config file as written, secret values masked', content: maskIniText(rawConfig) },
    { name: 'config/problems.txt', about: 'what `validate` says about the config', content: problems.length ? problems.map(formatConfigProblem).join('\n') : 'no problems' },
  ];
  if (config) sections.push(...(await configSections(config, credentials, options, now)));
  sections.push(
    { name: 'system/versions.json', about: 'agent version and commit, Node.js, OS', content: json(versionFacts()) },
    { name: 'system/os.json', about: 'platform, release, hostname, uptime, memory, free disk', content: json(await osFacts(config?.storage.dir)) },
    { name: 'system/service.json', about: 'what the OS service manager says about the agent service', content: json(await serviceFacts(options.queryService)) },
  );
  const entries = sections.map((section) => ({ name: section.name, content: scrub(section.content) }));
  const readme = buildReadme(configFile, config, sections, options.days, now);
  return [{ name: 'README.txt', content: scrub(readme) }, ...entries];
}

async function configSections(config: AgentConfig, credentials: CredentialsKeys | undefined, options: BundleOptions, now: Date): Promise<Section[]> {
  const state = await createStatusStore(config.storage.dir, AGENT_VERSION).read();
  const status = await buildStatusReport(config).catch((error: unknown) => ({ error: String(error) }));
  const logs = await readRecentLogs(config.logging.dir, options.days, now);
  const inventory = {
    temp: await inventoryFolder(join(config.storage.dir, 'temp'), {}, now),
    dump: await inventoryFolder(join(config.storage.dir, 'dump'), state.dumpFailures, now),
    quarantine: await inventoryFolder(join(config.storage.dir, QUARANTINE_FOLDER), {}, now),
  };
  return [
    { name: 'config/effective-config.json', about: 'the config as the agent understands it (defaults applied, paths absolute), secrets masked', content: json(effectiveConfig(config)) },
    { name: 'config/credentials-keys.json', about: 'the credentials file: key NAMES only, never values', content: json(credentials?.summary ?? { file: null, note: 'no credentials_file: the AWS default chain is used' }) },
    { name: 'status.json', about: 'the output of `status --json`', content: json(status) },
    { name: 'spool-inventory.json', about: 'every file in temp/, dump/ and quarantine/: size, age, type when not a regular file, failure count and last error', content: json(inventory) },
    { name: 'network.json', about: 'proxy per endpoint, proxy variables (masked), CA file certificates', content: json(await networkFacts(config)) },
    { name: 'clock.json', about: 'clock offset against S3 and Open-Meteo Date headers (if they answered quickly)', content: json(await clockFacts(config, options.clockTimeoutMs ?? 3_000)) },
    ...logs.map((log) => ({
      name: `logs/${log.name}`,
      about: `log file${log.truncatedBytes ? ` (the oldest ${log.truncatedBytes} bytes left out)` : ''}`,
      content: log.text,
    })),
  ];
}

function effectiveConfig(config: AgentConfig): unknown {
  // Secret values serialise as **REDACTED**; the proxy keeps host and port only.
  return JSON.parse(JSON.stringify({ ...config, network: { ...config.network, proxy: config.network.proxy === undefined ? undefined : '(see network.json)' } }));
}

interface CredentialsKeys {
  summary: Record<string, unknown>;
  values: string[];
  accessKeyId?: string;
}

/** Key names per section of the credentials file; the values are returned only to be masked. The
 *  file is read as `run` reads it (config/credentials-file.ts), so the key id shown is the one used. */
async function readCredentialsKeys(file: string): Promise<CredentialsKeys> {
  const content = await readCredentialsFile(file);
  const unreadable = content.problems.find((problem) => problem.kind === 'file');
  if (unreadable) return { summary: { file, problem: unreadable.message }, values: [] };
  const { accessKeyId } = content;
  return { summary: { file, keys: content.keyNames, ...(accessKeyId ? { accessKeyId: maskKeyId(accessKeyId) } : {}) }, values: content.values, ...(accessKeyId ? { accessKeyId } : {}) };
}

function knownSecrets(config: AgentConfig | undefined, credentialValues: string[]): string[] {
  const env = process.env;
  return [
    config?.openMeteo.apiKey?.reveal(),
    ...proxySecrets(config?.network.proxy),
    ...['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'].flatMap((name) => proxySecrets(env[name])),
    env.AWS_SECRET_ACCESS_KEY,
    env.AWS_SESSION_TOKEN,
    ...credentialValues,
  ].filter((value): value is string => typeof value === 'string' && value.length >= 4);
}

async function serviceFacts(query: BundleOptions['queryService']): Promise<unknown> {
  if (!query) return { note: 'not asked' };
  try {
    return await query();
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function buildReadme(configFile: string, config: AgentConfig | undefined, sections: Section[], days: number, now: Date): string {
  const width = Math.max(...sections.map((s) => s.name.length), 'README.txt'.length) + 2;
  return [
    'datapipe-agent support bundle',
    `created ${now.toISOString()} by datapipe-agent ${AGENT_VERSION} from ${configFile}`,
    config ? `customer ${config.customer.id}; logs of the last ${days} day(s)` : 'THE CONFIG IS INVALID: see config/problems.txt; status, logs and spool inventory need a valid config and are missing.',
    '',
    'Secrets are masked everywhere (**REDACTED**): the Open-Meteo api_key, proxy passwords, every',
    'value of the credentials file (only its key names are listed) and AWS_* secrets. Spooled data',
    'files are listed by name and size only, never included.',
    '',
    'Files:',
    `${'README.txt'.padEnd(width)}this index`,
    ...sections.map((section) => `${section.name.padEnd(width)}${section.about}`),
    '',
    'How to read it: docs/support-guide.md in the agent\'s documentation.',
    '',
  ].join('\n');
}
