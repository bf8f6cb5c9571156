// The S3 sink: one PutObject per spooled file. Lifecycle: created once at start-up with the s3
// config section, used by the collect and drain jobs, destroyed at shutdown.
//
// `upload` resolves only after S3 confirmed the write (2xx); the caller deletes the local file
// only then. Every failure is a SinkError decided by classifyS3Error; the key is deterministic,
// so a retry after a lost answer overwrites the object with the same bytes (no duplicates).
// The SDK retries transient failures a few times inside one upload; the dump retry schedule does
// the rest. Only this folder imports the AWS SDK.
import { PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { S3Config } from '../../config/types.ts';
import { SinkError } from '../../errors.ts';
import type { Logger } from '../../log/logger.ts';
import { registerSecret } from '../../log/redact.ts';
import { classifyS3Error, endpointHost, type S3ErrorContext } from './classify-error.ts';
import type { S3Credentials } from './credentials-file.ts';

export { classifyS3Error, type S3ErrorContext } from './classify-error.ts';
export { loadCredentialsFile, type S3Credentials } from './credentials-file.ts';

export interface S3Sink {
  /** PUTs `body` at `key` (the full object key, prefix included). Resolves only when S3 confirmed
   *  the write (2xx). Throws SinkError, classified by classifyS3Error. Honors `signal` (shutdown). */
  upload(key: string, body: Buffer, signal?: AbortSignal): Promise<void>;
  destroy(): void;
}

export interface S3SinkOptions {
  config: S3Config;
  logger: Logger;
  /** A handler with proxy and extra CA applied (agent/net); a plain one is built when absent. */
  requestHandler?: NodeHttpHandler;
  /** Longest one HTTP attempt may take (default 60). The whole upload, SDK retries included, gets
   *  MAX_ATTEMPTS times this. */
  timeoutSeconds?: number;
  /** From loadCredentialsFile; when absent the AWS default chain (env, profile, instance role). */
  credentials?: S3Credentials;
  /** The proxy `requestHandler` goes through (describeProxy), so errors name the hop that failed. */
  proxy?: string;
}

export const DEFAULT_TIMEOUT_SECONDS = 60;
/** Attempts per upload inside the SDK (first try + retries of transient errors). */
export const MAX_ATTEMPTS = 3;
const CONTENT_TYPE = 'application/x-ndjson';

export function createS3Sink(options: S3SinkOptions): S3Sink {
  const { config, logger } = options;
  const timeoutMs = (options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  const client = new S3Client(buildClientConfig(options, timeoutMs));
  const context: S3ErrorContext = {
    bucket: config.bucket,
    prefix: config.prefix,
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(options.credentials && config.credentialsFile ? { credentialsFile: config.credentialsFile } : {}),
    ...(options.proxy ? { proxy: options.proxy } : {}),
  };
  logger.debug('S3 sink ready.', { bucket: config.bucket, region: config.region, endpoint: endpointHost(context) });

  return {
    async upload(key, body, signal) {
      const started = performance.now();
      const deadline = AbortSignal.timeout(timeoutMs * MAX_ATTEMPTS);
      const abortSignal = signal ? AbortSignal.any([signal, deadline]) : deadline;
      try {
        if (signal?.aborted) throw signal.reason;
        const command = new PutObjectCommand({
          Bucket: config.bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ContentType: CONTENT_TYPE,
          // Explicit, so an AWS_REQUEST_CHECKSUM_CALCULATION=WHEN_REQUIRED environment cannot turn it off.
          ChecksumAlgorithm: 'CRC32',
        });
        await client.send(command, { abortSignal, requestTimeout: timeoutMs });
      } catch (error) {
        throw explainFailure(error, { ...context, key }, { signal, deadline, timeoutMs });
      }
      logger.debug('File uploaded.', { bucket: config.bucket, key, bytes: body.length, ms: Math.round(performance.now() - started) });
    },
    destroy() {
      client.destroy();
    },
  };
}

function buildClientConfig(options: S3SinkOptions, timeoutMs: number): S3ClientConfig {
  const { config, credentials } = options;
  if (credentials) {
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
    maxAttempts: MAX_ATTEMPTS,
    requestHandler,
    ...(credentials
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
function explainFailure(
  error: unknown,
  context: S3ErrorContext,
  abort: { signal: AbortSignal | undefined; deadline: AbortSignal; timeoutMs: number },
): SinkError {
  const target = `s3://${context.bucket ?? ''}/${context.key ?? ''}`;
  if (abort.signal?.aborted) {
    return new SinkError('Aborted', `The upload of ${target} was cancelled because the agent is stopping; the file stays and is sent later.`, {
      retryable: true,
      cause: error,
    });
  }
  if (abort.deadline.aborted) {
    const seconds = Math.round((abort.timeoutMs * MAX_ATTEMPTS) / 1000);
    return new SinkError('Timeout', `The upload of ${target} did not finish within ${seconds} s (${MAX_ATTEMPTS} attempts); ${endpointHost(context)} is too slow or not answering.`, {
      retryable: true,
      cause: error,
    });
  }
  return classifyS3Error(error, context);
}
