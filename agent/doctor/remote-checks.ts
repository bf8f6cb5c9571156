// Doctor's end-to-end checks with the agent's real clients: one Open-Meteo call for the configured
// variables (the real source, one location, validated like a cycle), and one S3 canary PutObject.
//
// The canary key is `<prefix>customer=<id>/canary/doctor-<YYYYMMDDTHHMMSSmmmZ>.json`: inside the
// customer's prefix (so the IAM policy that allows the agent's uploads allows it, and no
// ListBucket is needed), but outside `date=.../*.ndjson`, which is all the Snowpipe PATTERN
// ingests (sql/02_ingest.sql), so it is never loaded as weather data.
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import type { AgentConfig } from '../config/types.ts';
import { compactUtc } from '../envelope/records.ts';
import { SinkError, type SourceErrorKind } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { describeProxy, resolveProxy } from '../net/index.ts';
import { createOpenMeteoSource } from '../sources/open-meteo/index.ts';
import type { S3SinkOptions } from '../sinks/s3/sink.ts';
import { AGENT_VERSION } from '../version.ts';
import { fail, pass, warn, type CheckResult } from './types.ts';

/** Per HTTP attempt; the sink makes up to 3 attempts. */
const CANARY_TIMEOUT_SECONDS = 15;

export function canaryKey(config: AgentConfig, at: Date): string {
  return `${config.s3.prefix}customer=${config.customer.id}/canary/doctor-${compactUtc(at)}.json`;
}

const SOURCE_FIXES: Record<SourceErrorKind, string> = {
  'bad-request': 'Open-Meteo rejected the request: check the names in [open_meteo] variables (see https://open-meteo.com/en/docs) and the coordinates in [locations].',
  auth: 'Check [open_meteo] api_key (commercial endpoint) or remove it for the free endpoint.',
  'rate-limited': 'Open-Meteo is throttling this address; the agent backs off by itself. If it persists, reduce the schedule or use a commercial api_key.',
  unavailable: 'Open-Meteo is overloaded or down right now; try again later. The agent backs off by itself.',
  network: 'Check [open_meteo] url, network.proxy / HTTPS_PROXY, the firewall and DNS (see the network lines above).',
  timeout: 'Open-Meteo did not answer in time: check the network path (proxy, firewall) or raise [open_meteo] timeout_seconds.',
  http: 'Check [open_meteo] url: it must be the forecast endpoint, e.g. https://api.open-meteo.com/v1/forecast.',
  'bad-body': 'The answer was not valid Open-Meteo data: check [open_meteo] url (a proxy error page?) and the variable names.',
  'no-data': 'Open-Meteo has no data for a configured location: check its latitude and longitude in [locations] (sea or outside the model area?).',
  'over-budget': "The free API's hourly or daily call budget is spent; see the budget line above and reduce locations, variables or the schedule, or use the commercial endpoint.",
  'bad-time': "The answer's time is impossible or ahead of this server's clock: check the clock (the clock line above) and [open_meteo] url.",
};

export async function checkOpenMeteoCall(config: AgentConfig, dispatcher: Dispatcher, logger: Logger): Promise<CheckResult> {
  const id = 'open-meteo.call';
  const title = 'Open-Meteo: one real request for the configured variables';
  const location = config.locations[0];
  if (!location) return fail(id, title, 'no location is configured', 'Add at least one line under [locations].');
  // The ledger in the state folder: doctor's call counts against the free budget like any other.
  const source = createOpenMeteoSource({ config: config.openMeteo, logger, dispatcher, stateDir: join(config.storage.dir, 'state') });
  const [result] = await source.fetchCurrent([location]);
  if (!result) return fail(id, title, 'the source returned no result', 'Report this to support with a support bundle.');
  if (result.ok) {
    const current = (result.payload.current ?? {}) as Record<string, unknown>;
    const values = config.openMeteo.variables.map((name) => `${name}=${String(current[name])}`).join(', ');
    return pass(id, title, `location ${location.id}: observed ${result.observedAt.toISOString()}: ${values}`);
  }
  const { error } = result;
  const detail = `location ${location.id}: ${error.kind}${error.status ? ` (HTTP ${error.status})` : ''}: ${error.message}`;
  const make = error.kind === 'rate-limited' || error.kind === 'unavailable' ? warn : fail;
  return make(id, title, detail, SOURCE_FIXES[error.kind]);
}

export async function checkS3Canary(config: AgentConfig, credentials: S3SinkOptions['credentials'], s3Url: string, logger: Logger, now: Date): Promise<CheckResult> {
  const id = 's3.canary';
  const title = 'S3: canary upload (PutObject)';
  const key = canaryKey(config, now);
  // Loaded here, not at the top: the AWS SDK is needed only when the canary is really sent, and
  // `doctor` skips it when S3 is unreachable or there are no usable credentials.
  const [{ createNodeHttpHandler }, { createS3Sink }, { describeRolesAnywhereSource }] = await Promise.all([
    import('../sinks/s3/node-http-handler.ts'),
    import('../sinks/s3/sink.ts'),
    import('../sinks/s3/roles-anywhere/index.ts'),
  ]);
  const requestHandler = await createNodeHttpHandler(config.network, s3Url, { requestTimeoutMs: CANARY_TIMEOUT_SECONDS * 1000, connectionTimeoutMs: 10_000 });
  const proxy = describeProxy(resolveProxy(s3Url, config.network));
  const credentialsSource = config.rolesAnywhere ? describeRolesAnywhereSource(config.rolesAnywhere) : undefined;
  const sink = createS3Sink({ config: config.s3, logger, requestHandler, proxy, timeoutSeconds: CANARY_TIMEOUT_SECONDS, ...(credentials ? { credentials } : {}), ...(credentialsSource ? { credentialsSource } : {}) });
  const body = Buffer.from(`${JSON.stringify({ record_type: 'doctor_canary', customer_id: config.customer.id, host: hostname(), agent_version: AGENT_VERSION, at: now.toISOString() })}\n`);
  try {
    await sink.upload(key, body);
    return pass(id, title, `wrote s3://${config.s3.bucket}/${key} (${body.length} bytes); it is outside the ingested date=/ paths and can be deleted`);
  } catch (error) {
    if (!(error instanceof SinkError)) throw error;
    const fix = error.hint ?? (error.retryable ? 'S3 could not be reached or asked to retry: check the network lines above, then run doctor again.' : 'Fix the S3 settings as the message says.');
    return fail(id, title, `${error.code}: ${error.message}`, fix);
  } finally {
    sink.destroy();
  }
}
