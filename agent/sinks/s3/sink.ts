// The S3 sink: one PutObject per spooled file. Lifecycle: created once at start-up with the s3
// config section, used by the collect and drain jobs, destroyed at shutdown.
//
// `upload` resolves only after the answer proved the write (confirm-put.ts: an ETag and the
// echoed CRC32 equal to the one computed here over the body), or after S3 said the object already
// exists; the caller deletes the local file only then. Every failure is a SinkError whose verdict
// (retryable, mayHaveBeenStored) comes from classifyS3Error, but for the three only this sink can
// see, whose verdict is set where they are detected: shutdown and the upload deadline
// (explainFailure) and an answer that does not prove the write (confirm-put.ts). Callers act on
// the verdict as given (jobs/deliver.ts, jobs/drain.ts); none works it out again. Whether a
// refusal is about the file itself rather than the site is a separate question, answered from the
// error code in one place (file-specific-errors.ts).
//
// Immutable objects: every PUT carries If-None-Match: * (S3 conditional writes,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html and the
// If-None-Match request header in https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html), so a delivered
// object is never overwritten. Keys are content-addressed, so S3's 412 PreconditionFailed means
// "these bytes are already there": delivered, not an error. A 409 ConditionalRequestConflict
// (another write of the key in flight) is retried.
//
// Which layer retries: this sink's own loop, and only it, retries one upload (MAX_ATTEMPTS
// attempts, full-jitter back-off as the SDK's standard strategy, each attempt classified). The
// SDK's retries are off (maxAttempts 1), as Vector does (src/aws/mod.rs), so every attempt's
// verdict is seen: if any attempt may have stored the object, the upload's error says so, however
// the last attempt failed. Beyond one upload, the dump retry schedule (jobs/drain.ts) sends the
// file again later. Only this folder imports the AWS SDK.
import { PutObjectCommand, S3Client, type PutObjectCommandInput, type S3ClientConfig } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { S3Config } from '../../config/types.ts';
import { SinkError } from '../../errors.ts';
import type { Logger } from '../../log/logger.ts';
import { registerSecret } from '../../log/redact.ts';
import { classifyS3Error, endpointHost, type S3ErrorContext } from './classify-error.ts';
import { crc32Base64, safeHeader, unconfirmedReason, unconfirmedUploadError, type PutAnswer } from './confirm-put.ts';
import type { S3Credentials } from './credentials-file.ts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { isFileSpecificRefusal } from './file-specific-errors.ts';
import { LogEvents } from '../../log/events.ts';

export { classifyS3Error, type S3ErrorContext } from './classify-error.ts';
export { loadCredentialsFile, type S3Credentials } from './credentials-file.ts';

export interface S3Sink {
  /** PUTs `body` at `key` (the full object key, prefix included). Resolves only when the answer
   *  proved the write or S3 said the key already exists. Throws SinkError, classified by
   *  classifyS3Error. Honors `signal` (shutdown). */
  upload(key: string, body: Buffer, signal?: AbortSignal): Promise<void>;
  destroy(): void;
}

export interface S3SinkOptions {
  config: S3Config;
  logger: Logger;
  /** A handler with proxy and extra CA applied (agent/net); a plain one is built when absent. */
  requestHandler?: NodeHttpHandler;
  /** The proxy requestHandler goes through, as describeProxy() prints it, for error messages. */
  proxy?: string;
  /** Longest one HTTP attempt may take (default 60). The whole upload, retries included, gets
   *  MAX_ATTEMPTS times this. */
  timeoutSeconds?: number;
  /** From loadCredentialsFile, or a provider that refreshes (IAM Roles Anywhere, roles-anywhere/);
   *  when absent the AWS default chain (env, profile, instance role). */
  credentials?: S3Credentials | AwsCredentialIdentityProvider;
  /** How error hints name a provider's credentials, e.g. the Roles Anywhere role. */
  credentialsSource?: string;
}

export const DEFAULT_TIMEOUT_SECONDS = 60;
/** Attempts per upload in this sink's retry loop (first try + retries of retryable failures). */
export const MAX_ATTEMPTS = 3;
const CONTENT_TYPE = 'application/x-ndjson';
// The SDK's standard retry strategy's figures (@smithy/core util-retry constants.js).
const RETRY_BASE_MS = 100;
const THROTTLED_RETRY_BASE_MS = 500;
const MAX_RETRY_DELAY_MS = 20_000;
const THROTTLING_CODES = new Set(['SlowDown', 'TooManyRequests', 'ServiceUnavailable']);

interface UploadRun {
  key: string;
  body: Buffer;
  crc32: string;
  signal: AbortSignal | undefined;
  deadline: AbortSignal;
  abortSignal: AbortSignal;
}

/** What every upload of one sink shares. */
interface SinkParts {
  client: S3Client;
  bucket: string;
  context: S3ErrorContext;
  logger: Logger;
  timeoutMs: number;
}

export function createS3Sink(options: S3SinkOptions): S3Sink {
  const { config, logger } = options;
  const timeoutMs = (options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  const client = new S3Client(buildClientConfig(options, timeoutMs));
  const context: S3ErrorContext = {
    bucket: config.bucket,
    prefix: config.prefix,
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(options.credentials && typeof options.credentials !== 'function' && config.credentialsFile ? { credentialsFile: config.credentialsFile } : {}),
    ...(options.proxy ? { proxy: options.proxy } : {}),
    ...(options.credentialsSource ? { credentialsSource: options.credentialsSource } : {}),
  };
  logger.debug(LogEvents.sinkReady, { bucket: config.bucket, region: config.region, endpoint: endpointHost(context) });
  const parts: SinkParts = { client, bucket: config.bucket, context, logger, timeoutMs };

  return {
    async upload(key, body, signal) {
      const deadline = AbortSignal.timeout(timeoutMs * MAX_ATTEMPTS);
      const run: UploadRun = { key, body, crc32: crc32Base64(body), signal, deadline, abortSignal: signal ? AbortSignal.any([signal, deadline]) : deadline };
      if (signal?.aborted) throw explainFailure(signal.reason, { ...context, key }, run, timeoutMs, false);
      await uploadWithRetries(parts, run);
    },
    destroy() {
      client.destroy();
    },
  };
}

/** The single retry layer: up to MAX_ATTEMPTS attempts, the verdict taken over all of them. */
async function uploadWithRetries(parts: SinkParts, run: UploadRun): Promise<void> {
  const started = performance.now();
  const target = { ...parts.context, key: run.key };
  let mayHaveBeenStored = false;
  for (let attempts = 1; ; attempts += 1) {
    let error: SinkError;
    try {
      const outcome = await attemptPut(parts, run);
      const fields = { bucket: parts.bucket, key: run.key, bytes: run.body.length, attempts, ms: Math.round(performance.now() - started) };
      if (outcome === 'stored') parts.logger.debug(LogEvents.fileUploaded, fields);
      else parts.logger.info(LogEvents.objectAlreadyStored, fields);
      return;
    } catch (caught) {
      error = caught instanceof SinkError ? caught : classifyS3Error(caught, target);
    }
    mayHaveBeenStored ||= error.mayHaveBeenStored;
    // A refusal of this file's own size, key or body comes back the same at once: it is counted
    // per drain pass (and quarantined after POISON_FILE_LIMIT), never repeated inside one upload.
    if (!error.retryable || isFileSpecificRefusal(error) || error.code === 'Aborted' || (error.code === 'Timeout' && run.deadline.aborted) || attempts >= MAX_ATTEMPTS) {
      throw withVerdict(error, attempts, mayHaveBeenStored);
    }
    if (!(await sleep(retryDelayMs(attempts, error), run.abortSignal))) {
      throw withVerdict(explainFailure(run.abortSignal.reason, target, run, parts.timeoutMs), attempts, mayHaveBeenStored);
    }
  }
}

/** One PUT: 'stored' (proved by the answer) or 'already-there' (S3's 412); else a SinkError. */
async function attemptPut(parts: SinkParts, run: UploadRun): Promise<'stored' | 'already-there'> {
  const command = new PutObjectCommand(putInput(parts.bucket, run));
  const answer = captureAnswer(command);
  try {
    const output = await parts.client.send(command, { abortSignal: run.abortSignal, requestTimeout: parts.timeoutMs });
    Object.assign(answer, { etag: safeHeader(output.ETag), checksumCrc32: safeHeader(output.ChecksumCRC32) });
  } catch (error) {
    if (isAlreadyThere(error)) return 'already-there';
    throw explainFailure(error, { ...parts.context, key: run.key }, run, parts.timeoutMs);
  }
  const reason = unconfirmedReason(answer, run.crc32);
  if (reason) throw unconfirmedUploadError(`s3://${parts.bucket}/${run.key}`, endpointHost(parts.context), answer, reason);
  return 'stored';
}

function putInput(bucket: string, run: UploadRun): PutObjectCommandInput {
  return {
    Bucket: bucket,
    Key: run.key,
    Body: run.body,
    ContentLength: run.body.length,
    ContentType: CONTENT_TYPE,
    // Computed here over the exact bytes sent (the SDK then sends it as is), so the echo in the
    // answer can be compared with it; explicit, so AWS_REQUEST_CHECKSUM_CALCULATION cannot drop it.
    ChecksumAlgorithm: 'CRC32',
    ChecksumCRC32: run.crc32,
    IfNoneMatch: '*',
  };
}

/** Records status, content-type and server of the raw answer (for an unconfirmed one). */
function captureAnswer(command: PutObjectCommand): PutAnswer {
  const answer: PutAnswer = {};
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const response = result.response as { statusCode?: unknown; headers?: Record<string, unknown> } | undefined;
      if (typeof response?.statusCode === 'number') answer.status = response.statusCode;
      const contentType = safeHeader(response?.headers?.['content-type']);
      const server = safeHeader(response?.headers?.['server']);
      if (contentType) answer.contentType = contentType;
      if (server) answer.server = server;
      return result;
    },
    { step: 'deserialize', name: 'datapipeCaptureAnswer', priority: 'high' },
  );
  return answer;
}

/** S3's own 412 answer to If-None-Match: * (not any 412: a proxy's page proves nothing). */
function isAlreadyThere(error: unknown): boolean {
  const record = (error ?? {}) as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return record.name === 'PreconditionFailed' && record.$metadata?.httpStatusCode === 412;
}

/** The last attempt's error, with the verdict over every attempt. */
function withVerdict(error: SinkError, attempts: number, mayHaveBeenStored: boolean): SinkError {
  if (attempts === 1 && error.mayHaveBeenStored === mayHaveBeenStored) return error;
  const earlier = mayHaveBeenStored && !error.mayHaveBeenStored ? ' An earlier attempt may have stored it.' : '';
  const message = `${error.message}${attempts > 1 ? ` (${attempts} attempts.)` : ''}${earlier}`;
  return new SinkError(error.code, message, {
    retryable: error.retryable,
    mayHaveBeenStored,
    ...(error.cause === undefined ? {} : { cause: error.cause }),
    ...(error.hint === undefined ? {} : { hint: error.hint }),
  });
}

/** Full jitter (random up to base * 2^n), the SDK standard strategy's shape. */
function retryDelayMs(attempts: number, error: SinkError): number {
  const base = THROTTLING_CODES.has(error.code) ? THROTTLED_RETRY_BASE_MS : RETRY_BASE_MS;
  return Math.floor(Math.random() * Math.min(MAX_RETRY_DELAY_MS, base * 2 ** attempts));
}

/** false when `signal` ended the wait. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (completed: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(completed);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function buildClientConfig(options: S3SinkOptions, timeoutMs: number): S3ClientConfig {
  const { config, credentials } = options;
  if (credentials && typeof credentials !== 'function') {
    // Second line of defence: loadCredentialsFile registers them too, but callers may build these.
    registerSecret(credentials.secretAccessKey.reveal());
    registerSecret(credentials.sessionToken?.reveal());
  }
  const requestHandler =
    options.requestHandler ??
    new NodeHttpHandler({ requestTimeout: timeoutMs, connectionTimeout: Math.min(timeoutMs, 15_000), throwOnRequestTimeout: true });
  return {
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint, forcePathStyle: true } : {}),
    // Region redirects would hide a wrong s3.region; the operator should fix the config instead.
    followRegionRedirects: false,
    // One attempt per send(): this sink's loop is the only retry layer (see the header).
    maxAttempts: 1,
    requestHandler,
    ...(typeof credentials === 'function' ? { credentials } : {}),
    ...(credentials && typeof credentials !== 'function'
      ? {
          credentials: {
            accessKeyId: credentials.accessKeyId,
            secretAccessKey: credentials.secretAccessKey.reveal(),
            ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken.reveal() } : {}),
          },
        }
      : {}),
  };
}

/** Shutdown and the upload deadline are ours to name; everything else goes to the classifier. */
function explainFailure(error: unknown, context: S3ErrorContext, run: UploadRun, timeoutMs: number, sent = true): SinkError {
  const target = `s3://${context.bucket ?? ''}/${context.key ?? ''}`;
  if (run.signal?.aborted) {
    return new SinkError('Aborted', `The upload of ${target} was cancelled because the agent is stopping; the file stays and is sent later.`, {
      retryable: true,
      mayHaveBeenStored: sent,
      cause: error,
    });
  }
  if (run.deadline.aborted) {
    const seconds = Math.round((timeoutMs * MAX_ATTEMPTS) / 1000);
    return new SinkError('Timeout', `The upload of ${target} did not finish within ${seconds} s (up to ${MAX_ATTEMPTS} attempts); ${endpointHost(context)} is too slow or not answering.`, {
      retryable: true,
      cause: error,
    });
  }
  return classifyS3Error(error, context);
}
