// IAM Roles Anywhere credentials for the S3 sink, against two real protocol peers on 127.0.0.1:
// the Roles Anywhere stand-in (verifies the X.509 signature and the chain to the test CA) and the
// S3 test server (accepts only the temporary credentials it issued, with their session token,
// until they expire, and only under customer=<certificate CN>/ like the principal-tag policy).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../../../agent/config/secret.ts';
import type { RolesAnywhereConfig } from '../../../../agent/config/types.ts';
import { SinkError } from '../../../../agent/errors.ts';
import { redactText } from '../../../../agent/log/redact.ts';
import { createNodeHttpHandler } from '../../../../agent/sinks/s3/node-http-handler.ts';
import { createSession } from '../../../../agent/sinks/s3/roles-anywhere/create-session.ts';
import { readSigningIdentity } from '../../../../agent/sinks/s3/roles-anywhere/identity.ts';
import { describeRolesAnywhereSource } from '../../../../agent/sinks/s3/roles-anywhere/index.ts';
import { createRolesAnywhereProvider } from '../../../../agent/sinks/s3/roles-anywhere/provider.ts';
import { createS3Sink, type S3Sink } from '../../../../agent/sinks/s3/sink.ts';
import { createListLogger } from '../../../helpers/list-logger.ts';
import { startRolesAnywhereServer, type TestRolesAnywhereServer } from '../../../helpers/roles-anywhere-server.ts';
import { startS3Server, type TestS3Server } from '../../../helpers/s3-server.ts';
import { useTempDirs } from '../../../helpers/temp-dir.ts';
import { createTestCa, type TestCa } from '../../../helpers/test-pki.ts';
import { LogEvents } from '../../../../agent/log/events.ts';

const BUCKET = 'open-meteo-source-bucket';
const BODY = Buffer.from('{"record":1}\n');
const keyFor = (customer: string, n = 1) => `raw/customer=${customer}/date=2026-12-01/${customer}_20261201T101500Z_${n}.ndjson`;
const tempDir = useTempDirs();

let ca: TestCa;
let ra: TestRolesAnywhereServer;
let s3: TestS3Server;
let handler: NodeHttpHandler;
let sinks: S3Sink[];
let logger: ReturnType<typeof createListLogger>;

async function startPeers(sessionLifetimeMs?: number): Promise<void> {
  ra = await startRolesAnywhereServer({ trustAnchors: [ca.certificate], region: 'us-east-1', ...(sessionLifetimeMs ? { sessionLifetimeMs } : {}) });
  s3 = await startS3Server({
    buckets: [BUCKET],
    temporaryCredentials: (id) => {
      const issued = ra.lookup(id);
      return issued && { ...issued, writableKeys: new RegExp(`^raw/customer=${issued.subjectCommonName}/`) };
    },
  });
}

beforeEach(async () => {
  ca = await createTestCa();
  await startPeers();
  handler = await createNodeHttpHandler({}, ra.endpoint, { requestTimeoutMs: 10_000, connectionTimeoutMs: 5_000 });
  sinks = [];
  logger = createListLogger('roles-anywhere');
});

afterEach(async () => {
  for (const sink of sinks) sink.destroy();
  handler.destroy();
  await ra.close();
  await s3.close();
});

async function siteFiles(pems: { certificatePem: string; privateKeyPem: string }): Promise<{ certificateFile: string; privateKeyFile: string }> {
  const dir = await tempDir();
  const files = { certificateFile: join(dir, 'site.crt'), privateKeyFile: join(dir, 'site.key') };
  await writeFile(files.certificateFile, pems.certificatePem);
  await writeFile(files.privateKeyFile, pems.privateKeyPem, { mode: 0o600 });
  return files;
}

function settings(files: { certificateFile: string; privateKeyFile: string }): RolesAnywhereConfig {
  return { ...files, trustAnchorArn: ra.trustAnchorArn, profileArn: ra.profileArn, roleArn: ra.roleArn, region: ra.region, endpoint: ra.endpoint, sessionDurationSeconds: 3600 };
}

function sinkWith(config: RolesAnywhereConfig): { sink: S3Sink; provider: ReturnType<typeof createRolesAnywhereProvider> } {
  const provider = createRolesAnywhereProvider({ settings: config, files: config, requestHandler: handler, logger });
  const sink = createS3Sink({
    config: { bucket: BUCKET, region: s3.region, prefix: 'raw/', endpoint: s3.endpoint, retrySchedule: '*/5 * * * *' },
    logger,
    credentials: provider,
    credentialsSource: describeRolesAnywhereSource(config),
  });
  sinks.push(sink);
  return { sink, provider };
}

async function uploadError(sink: S3Sink, key: string): Promise<SinkError> {
  const error = await sink.upload(key, BODY).then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(SinkError);
  return error as SinkError;
}

/** Nothing issued by the stand-in, and no key material, in any text the agent produced. */
function expectNoSecrets(texts: string[], privateKeyPem?: string): void {
  const secrets = ra.issued.flatMap((c) => [c.secretAccessKey, c.sessionToken]);
  const keyBody = privateKeyPem?.split('\n')[1];
  for (const text of texts) {
    for (const secret of secrets) expect(text).not.toContain(secret);
    if (keyBody) expect(text).not.toContain(keyBody);
  }
}

describe('IAM Roles Anywhere credentials for the S3 sink', () => {
  it.each(['ec', 'rsa'] as const)('uploads with temporary credentials from a %s certificate the CA signed', async (keyType) => {
    const pems = await ca.issue('CN=acme, OU=datapipe-agent', { keyType });
    const { sink, provider } = sinkWith(settings(await siteFiles(pems)));
    await sink.upload(keyFor('acme'), BODY);
    await sink.upload(keyFor('acme', 2), BODY);

    expect((await s3.listObjects(BUCKET)).map((o) => o.key).sort()).toEqual([keyFor('acme'), keyFor('acme', 2)]);
    expect(ra.issued).toHaveLength(1);
    expect(provider.sessions).toBe(1);
    expect(logger.lines.map((line) => line.event)).toContain(LogEvents.rolesAnywhereObtained.name);
    expectNoSecrets(logger.lines.map((line) => `${line.message} ${JSON.stringify(line.fields)}`), pems.privateKeyPem);
    // Registered for redaction: a library echoing them would print **REDACTED**.
    expect(redactText(`token ${ra.issued[0]?.sessionToken ?? ''}`)).toBe('token **REDACTED**');
  });

  it('renews the credentials before they expire, and S3 refuses the old ones after expiry', async () => {
    await ra.close();
    await s3.close();
    await startPeers(3_000);
    handler.destroy();
    handler = await createNodeHttpHandler({}, ra.endpoint, { requestTimeoutMs: 10_000, connectionTimeoutMs: 5_000 });
    const { sink } = sinkWith(settings(await siteFiles(await ca.issue('CN=acme, OU=datapipe-agent'))));

    await sink.upload(keyFor('acme', 1), BODY);
    await sink.upload(keyFor('acme', 2), BODY);
    expect(ra.issued).toHaveLength(1); // still fresh: no second session
    await delay(1_800); // past the refresh point (half the 3 s lifetime), before expiry
    await sink.upload(keyFor('acme', 3), BODY);
    expect(ra.issued).toHaveLength(2);
    const [first, second] = ra.issued;
    expect(second!.issuedAt.getTime()).toBeLessThan(first!.expiration.getTime());

    await delay(Math.max(0, first!.expiration.getTime() - Date.now() + 100));
    const stale = createS3Sink({
      config: { bucket: BUCKET, region: s3.region, prefix: 'raw/', endpoint: s3.endpoint, retrySchedule: '*/5 * * * *' },
      logger,
      credentials: { accessKeyId: first!.accessKeyId, secretAccessKey: new Secret(first!.secretAccessKey), sessionToken: new Secret(first!.sessionToken) },
    });
    sinks.push(stale);
    expect((await uploadError(stale, keyFor('acme', 4))).code).toBe('ExpiredToken');
    // The S3 stand-in checks the token too: the live session's key and secret with the old token.
    const mixed = createS3Sink({
      config: { bucket: BUCKET, region: s3.region, prefix: 'raw/', endpoint: s3.endpoint, retrySchedule: '*/5 * * * *' },
      logger,
      credentials: { accessKeyId: second!.accessKeyId, secretAccessKey: new Secret(second!.secretAccessKey), sessionToken: new Secret(first!.sessionToken) },
    });
    sinks.push(mixed);
    expect((await uploadError(mixed, keyFor('acme', 5))).code).toBe('InvalidToken');
    expect((await s3.listObjects(BUCKET)).map((o) => o.key)).toHaveLength(3);
  });

  it("lets a site write only under its own customer=<CN>/ (the principal-tag policy, simulated by the S3 stand-in)", async () => {
    const { sink } = sinkWith(settings(await siteFiles(await ca.issue('CN=acme, OU=datapipe-agent'))));
    const denied = await uploadError(sink, keyFor('beta'));
    expect(denied.code).toBe('AccessDenied');
    expect(denied.hint).toContain(`the IAM Roles Anywhere role ${ra.roleArn}`);
    expect(denied.hint).toContain('customer=<certificate CN>/');
    await sink.upload(keyFor('acme'), BODY);
  });

  it('refuses a certificate from a CA the trust anchor does not know, with a clear error', async () => {
    const other = await createTestCa('CN=Someone Else CA');
    const pems = await other.issue('CN=acme, OU=datapipe-agent');
    const { sink } = sinkWith(settings(await siteFiles(pems)));
    const error = await uploadError(sink, keyFor('acme'));
    expect(error.code).toBe('RolesAnywhereDenied');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('Untrusted certificate');
    expect(error.hint).toContain('trust anchor');
    expect(ra.issued).toHaveLength(0);
    expectNoSecrets([error.message, error.hint ?? ''], pems.privateKeyPem);
  });

  it('refuses an expired certificate before calling Roles Anywhere, and the stand-in refuses it too', async () => {
    const pems = await ca.issue('CN=acme, OU=datapipe-agent', { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const config = settings(await siteFiles(pems));
    const { sink } = sinkWith(config);
    const error = await uploadError(sink, keyFor('acme'));
    expect(error.code).toBe('CertificateExpired');
    expect(error.message).toContain('expired on');
    expect(error.hint).toContain('datapipe-agent enroll');
    expect(ra.refusals).toHaveLength(0);

    const identity = await readSigningIdentity(config);
    await expect(createSession(config, identity, handler, { now: new Date() })).rejects.toThrow(/refused CreateSession: AccessDeniedException .*expired/);
  });

  it('refuses a private key that is not the certificate\'s, locally and at the stand-in', async () => {
    const site = await ca.issue('CN=acme, OU=datapipe-agent');
    const stranger = await ca.issue('CN=acme, OU=datapipe-agent');
    const config = settings(await siteFiles({ certificatePem: site.certificatePem, privateKeyPem: stranger.privateKeyPem }));
    const { sink } = sinkWith(config);
    const error = await uploadError(sink, keyFor('acme'));
    expect(error.code).toBe('RolesAnywhereIdentity');
    expect(error.message).toContain('is not the key of the certificate');
    expectNoSecrets([error.message], stranger.privateKeyPem);

    // Past the local check (as if it were skipped), the stand-in's signature check refuses it.
    const right = await readSigningIdentity(settings(await siteFiles(site)));
    const wrong = await readSigningIdentity(settings(await siteFiles(stranger)));
    await expect(createSession(config, { ...right, privateKey: wrong.privateKey }, handler, { now: new Date() })).rejects.toThrow(/AccessDeniedException \(HTTP 403\): Signature validation failed/);
    expect(ra.issued).toHaveLength(0);
  });

  it('a request changed after signing is refused (tampered signature, tampered role)', async () => {
    const config = settings(await siteFiles(await ca.issue('CN=acme, OU=datapipe-agent')));
    const identity = await readSigningIdentity(config);
    const tamper = (change: (request: { headers: Record<string, string>; path: string }) => void) =>
      ({ handle: (request: { headers: Record<string, string>; path: string }, options: object) => (change(request), handler.handle(request as never, options)) }) as unknown as NodeHttpHandler;
    const flipLast = (request: { headers: Record<string, string> }) => {
      const auth = request.headers['authorization'] ?? '';
      request.headers['authorization'] = `${auth.slice(0, -1)}${auth.endsWith('0') ? '1' : '0'}`;
    };
    const otherRole = (request: { path: string }) => {
      request.path = request.path.replace('datapipe-agent-sites', 'admin');
    };
    for (const change of [flipLast, otherRole]) {
      const error = await createSession(config, identity, tamper(change), { now: new Date() }).then(() => undefined, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(SinkError);
      expect((error as SinkError).code).toBe('RolesAnywhereDenied');
      expect((error as SinkError).message).toContain('Signature validation failed');
    }
    expect(ra.issued).toHaveLength(0);
    // The untampered request passes, so the refusals above were the tampering.
    await expect(createSession(config, identity, handler, { now: new Date() })).resolves.toMatchObject({ accessKeyId: expect.stringMatching(/^ASIA/) });
  });

  it('an unreachable Roles Anywhere endpoint is retryable and names the host', async () => {
    const config = { ...settings(await siteFiles(await ca.issue('CN=acme, OU=datapipe-agent'))), endpoint: 'http://127.0.0.1:9' };
    const { sink } = sinkWith(config);
    const error = await uploadError(sink, keyFor('acme'));
    expect(error.code).toBe('RolesAnywhereUnreachable');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('127.0.0.1:9');
  });
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
