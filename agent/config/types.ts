// The validated, normalised configuration every stage receives (its own section of it).
// Produced only by config/load.ts; paths are absolute, numbers are numbers, secrets are Secrets.
import type { Secret } from './secret.ts';

export interface Location {
  /** Letters, digits, '-', '_' (1-64); unique within the config. */
  id: string;
  /** Display name; defaults to the id. */
  name: string;
  latitude: number;
  longitude: number;
}

export interface OpenMeteoConfig {
  /** Base URL of the forecast endpoint, e.g. https://api.open-meteo.com/v1/forecast */
  url: string;
  /** Variables requested with `current=`, in config order, no duplicates. */
  variables: string[];
  /** Cron expression (5 or 6 fields) for collection cycles. */
  schedule: string;
  jitterSeconds: number;
  timeoutSeconds: number;
  apiKey?: Secret;
  /** 'free': count calls as the free API does and pace requests to its limits (default for the
   *  free host); 'none': no per-address limit (commercial and self-hosted endpoints). */
  callBudget: 'free' | 'none';
}

export interface S3Config {
  bucket: string;
  region: string;
  /** Key prefix, '' or ending with '/'. */
  prefix: string;
  /** S3-compatible endpoint (path-style addressing is used when set). */
  endpoint?: string;
  /** Absolute path of an INI file with aws_access_key_id / aws_secret_access_key. */
  credentialsFile?: string;
  /** Cron expression for dump retry passes. */
  retrySchedule: string;
}

export interface StorageConfig {
  /** Absolute path; temp/, dump/ and state/ live under it. */
  dir: string;
  maxDumpMb: number;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface LoggingConfig {
  /** Absolute path of the log folder. */
  dir: string;
  level: LogLevel;
  keepDays: number;
}

export interface NetworkConfig {
  /** Proxy URL from config; HTTPS_PROXY/HTTP_PROXY/NO_PROXY from the environment apply too. */
  proxy?: string;
  /** Absolute path of a PEM file with extra trusted CA certificates. */
  caFile?: string;
}

/** [roles_anywhere]: S3 credentials from IAM Roles Anywhere with the site's X.509 certificate. */
export interface RolesAnywhereConfig {
  /** Absolute paths. */
  certificateFile: string;
  privateKeyFile: string;
  certificateChainFile?: string;
  trustAnchorArn: string;
  profileArn: string;
  roleArn: string;
  /** Signing region: set, else the trust anchor ARN's region. */
  region: string;
  /** https://rolesanywhere.<region>.amazonaws.com unless set. */
  endpoint: string;
  sessionDurationSeconds: number;
}

export interface AgentConfig {
  /** Absolute path of the config file this came from. */
  file: string;
  customer: { id: string };
  locations: Location[];
  openMeteo: OpenMeteoConfig;
  s3: S3Config;
  storage: StorageConfig;
  logging: LoggingConfig;
  network: NetworkConfig;
  /** Set when config.ini has a [roles_anywhere] section; s3.credentials_file is then not allowed. */
  rolesAnywhere?: RolesAnywhereConfig;
}
