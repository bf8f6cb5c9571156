// Step 2 of loading (normalise): typed values from the shape step -> AgentConfig. Fills defaults,
// makes paths absolute relative to the config file's folder (a Windows service starts in
// System32, so the working directory means nothing), and wraps secrets in Secret.
import { dirname, resolve } from 'node:path';
import { registerSecret } from '../log/redact.ts';
import { isFreeHost } from '../sources/open-meteo/budget.ts';
import type { AgentConfig, Location, RolesAnywhereConfig } from './types.ts';
import { arnRegion } from './roles-anywhere-fields.ts';
import { Secret } from './secret.ts';
import type { ShapedSections } from './sections.ts';

/** Defaults of every optional key, as written in config.ini (config.example.ini and docs match). */
export const DEFAULTS = {
  open_meteo: {
    url: 'https://api.open-meteo.com/v1/forecast',
    variables: 'temperature_2m, relative_humidity_2m, wind_speed_10m, weather_code, is_day',
    schedule: '*/15 * * * *',
    jitter_seconds: 30,
    timeout_seconds: 30,
  },
  s3: { prefix: 'raw/', retry_schedule: '*/5 * * * *' },
  storage: { dir: './var', max_dump_mb: 2048 },
  logging: { level: 'info', keep_days: 30 },
  roles_anywhere: { session_duration_seconds: 3600 },
} as const;

export interface NormaliseInput {
  /** Absolute path of config.ini. */
  file: string;
  customerId: string;
  locations: Location[];
  sections: ShapedSections;
}

export function normaliseConfig(input: NormaliseInput): AgentConfig {
  const { sections } = input;
  const base = dirname(input.file);
  const storageDir = resolve(base, sections.storage?.dir ?? DEFAULTS.storage.dir);
  const config: AgentConfig = {
    file: input.file,
    customer: { id: input.customerId },
    locations: input.locations,
    openMeteo: normaliseOpenMeteo(sections.open_meteo),
    s3: normaliseS3(sections.s3, base),
    storage: { dir: storageDir, maxDumpMb: sections.storage?.max_dump_mb ?? DEFAULTS.storage.max_dump_mb },
    logging: {
      dir: sections.logging?.dir === undefined ? resolve(storageDir, 'logs') : resolve(base, sections.logging.dir),
      level: sections.logging?.level ?? DEFAULTS.logging.level,
      keepDays: sections.logging?.keep_days ?? DEFAULTS.logging.keep_days,
    },
    network: {},
  };
  if (sections.network?.proxy !== undefined) {
    config.network.proxy = sections.network.proxy;
    registerSecret(URL.parse(sections.network.proxy)?.password || undefined);
  }
  if (sections.network?.ca_file !== undefined) config.network.caFile = resolve(base, sections.network.ca_file);
  const rolesAnywhere = normaliseRolesAnywhere(sections.roles_anywhere, base);
  if (rolesAnywhere) config.rolesAnywhere = rolesAnywhere;
  return config;
}

function normaliseOpenMeteo(section: ShapedSections['open_meteo']): AgentConfig['openMeteo'] {
  const defaults = DEFAULTS.open_meteo;
  const openMeteo: AgentConfig['openMeteo'] = {
    url: section?.url ?? defaults.url,
    variables: section?.variables ?? defaults.variables.split(', '),
    schedule: section?.schedule ?? defaults.schedule,
    jitterSeconds: section?.jitter_seconds ?? defaults.jitter_seconds,
    timeoutSeconds: section?.timeout_seconds ?? defaults.timeout_seconds,
    callBudget: section?.call_budget ?? (isFreeHost(new URL(section?.url ?? defaults.url).hostname) ? 'free' : 'none'),
  };
  if (section?.api_key !== undefined) {
    // Second line of defence: mask the key in every log line, should a library ever echo it.
    registerSecret(section.api_key);
    openMeteo.apiKey = new Secret(section.api_key);
  }
  return openMeteo;
}

function normaliseS3(section: ShapedSections['s3'], base: string): AgentConfig['s3'] {
  const s3: AgentConfig['s3'] = {
    bucket: section?.bucket ?? '',
    region: section?.region ?? '',
    prefix: section?.prefix ?? DEFAULTS.s3.prefix,
    retrySchedule: section?.retry_schedule ?? DEFAULTS.s3.retry_schedule,
  };
  if (section?.endpoint !== undefined) s3.endpoint = section.endpoint;
  if (section?.credentials_file !== undefined) s3.credentialsFile = resolve(base, section.credentials_file);
  return s3;
}

/** Missing required keys become '' here; the rule rolesAnywhereRequiredKeys reports them. */
function normaliseRolesAnywhere(section: ShapedSections['roles_anywhere'], base: string): RolesAnywhereConfig | undefined {
  if (!section || Object.keys(section).length === 0) return undefined;
  const trustAnchorArn = section.trust_anchor_arn ?? '';
  const region = section.region ?? arnRegion(trustAnchorArn) ?? '';
  const config: RolesAnywhereConfig = {
    certificateFile: section.certificate_file === undefined ? '' : resolve(base, section.certificate_file),
    privateKeyFile: section.private_key_file === undefined ? '' : resolve(base, section.private_key_file),
    trustAnchorArn,
    profileArn: section.profile_arn ?? '',
    roleArn: section.role_arn ?? '',
    region,
    endpoint: section.endpoint ?? `https://rolesanywhere.${region}.amazonaws.com`,
    sessionDurationSeconds: section.session_duration_seconds ?? DEFAULTS.roles_anywhere.session_duration_seconds,
  };
  if (section.certificate_chain_file !== undefined) config.certificateChainFile = resolve(base, section.certificate_chain_file);
  return config;
}
