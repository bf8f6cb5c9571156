// The AWS policy templates in sql/aws/ grant exactly what the design needs: an agent may only
// PutObject under its own customer's prefix (no list, no read, no other customer); Snowflake's
// role may only read and list the landing prefix, and only Snowflake's IAM user with the external
// ID may assume it. Resource matching uses IAM's wildcard rules ('*' any run, '?' one character).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentObjectKey } from './fixtures.ts';
import { SQL_DIR } from './sql-scripts.ts';

const AWS_DIR = join(SQL_DIR, 'aws');

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const VALUES = {
  bucket: 'example-datapipe-bucket',
  prefix: 'agents/',
  customer_id: 'acme',
  snowflake_iam_user_arn: 'arn:aws:iam::123456789012:user/abc0-s-p2ss1234',
  snowflake_external_id: 'AB12345_SFCRole=2_abcdefg=',
  pipe_notification_channel: 'arn:aws:sqs:eu-west-1:123456789012:sf-snowpipe-AIDA-abc',
};

function loadPolicy(file: string, values: Record<string, string> = VALUES): { Statement: Statement[] } {
  const text = readFileSync(join(AWS_DIR, file), 'utf8').replace(/<([a-z_]+)>/g, (whole, name: string) => values[name] ?? whole);
  expect(text, `${file} has a placeholder without a value`).not.toMatch(/<[a-z_]+>/);
  return JSON.parse(text) as { Statement: Statement[] };
}

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function iamGlob(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Whether an Allow statement without conditions grants the action on the resource ARN. */
function allows(policy: { Statement: Statement[] }, action: string, arn: string): boolean {
  return policy.Statement.some((s) =>
    s.Effect === 'Allow' &&
    list(s.Action).some((a) => iamGlob(a).test(action)) &&
    list(s.Resource).some((r) => iamGlob(r).test(arn)),
  );
}

const objectArn = (key: string) => `arn:aws:s3:::${VALUES.bucket}/${key}`;

describe('sql/aws policy templates', () => {
  it('are valid JSON with only known placeholders', () => {
    const files = readdirSync(AWS_DIR).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual([
      'agent-put-policy.json', 'bucket-notification.json', 'bucket-policy.json',
      'snowflake-read-policy.json', 'snowflake-trust-policy.json',
    ]);
    for (const file of files) expect(() => loadPolicy(file)).not.toThrow();
  });

  it("let an agent put its own customer's data and doctor canary, nothing else", () => {
    const policy = loadPolicy('agent-put-policy.json');
    const at = new Date('2026-11-21T10:15:03.123Z');
    expect(allows(policy, 's3:PutObject', objectArn(agentObjectKey('agents/', 'acme', at, '0123456789abcdef')))).toBe(true);
    expect(allows(policy, 's3:PutObject', objectArn(agentObjectKey('agents/', 'acme', at, '0123456789abcdef', true)))).toBe(true);
    expect(allows(policy, 's3:PutObject', objectArn('agents/customer=acme/canary/doctor-20261121T101503123Z.json'))).toBe(true);

    expect(allows(policy, 's3:PutObject', objectArn(agentObjectKey('agents/', 'beta', at, '0123456789abcdef')))).toBe(false);
    expect(allows(policy, 's3:PutObject', objectArn('agents/customer=acme2/date=2026-11-21/x.ndjson'))).toBe(false);
    expect(allows(policy, 's3:PutObject', objectArn('other/customer=acme/date=2026-11-21/x.ndjson'))).toBe(false);
    for (const action of ['s3:GetObject', 's3:ListBucket', 's3:DeleteObject', 's3:PutObjectAcl']) {
      expect(allows(policy, action, objectArn('agents/customer=acme/date=2026-11-21/x.ndjson')), action).toBe(false);
      expect(allows(policy, action, `arn:aws:s3:::${VALUES.bucket}`), action).toBe(false);
    }
    expect(policy.Statement.flatMap((s) => list(s.Action))).toEqual(['s3:PutObject']);
  });

  it('let Snowflake read and list only the landing prefix', () => {
    const policy = loadPolicy('snowflake-read-policy.json');
    expect(allows(policy, 's3:GetObject', objectArn('agents/customer=acme/date=2026-11-21/x.ndjson'))).toBe(true);
    expect(allows(policy, 's3:GetObject', objectArn('private/finance.csv'))).toBe(false);
    expect(allows(policy, 's3:PutObject', objectArn('agents/customer=acme/date=2026-11-21/x.ndjson'))).toBe(false);
    const listing = policy.Statement.find((s) => list(s.Action).includes('s3:ListBucket'));
    expect(listing?.Condition?.StringLike?.['s3:prefix']).toEqual(['agents/*']);
    const actions = policy.Statement.flatMap((s) => list(s.Action)).sort();
    expect(actions).toEqual(['s3:GetBucketLocation', 's3:GetObject', 's3:GetObjectVersion', 's3:ListBucket']);
  });

  it('deny, under the landing prefix, every PutObject without If-None-Match (no overwrite of delivered data)', () => {
    // AWS: "Enforce conditional writes on Amazon S3 buckets" (condition key s3:if-none-match) and
    // the IAM Null operator ("true": the key is absent from the request), see
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html and
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null
    const policy = loadPolicy('bucket-policy.json');
    const at = new Date('2026-11-21T10:15:03.123Z');
    const denied = (arn: string, headers: Record<string, string>) => policy.Statement.some((s) =>
      s.Effect === 'Deny' && s.Principal === '*' &&
      list(s.Action).some((a) => iamGlob(a).test('s3:PutObject')) &&
      list(s.Resource).some((r) => iamGlob(r).test(arn)) &&
      Object.entries(s.Condition?.Null ?? {}).some(([key, absent]) => (absent === 'true') === !(key in headers)) &&
      Object.keys(s.Condition ?? {}).every((operator) => operator === 'Null'));
    const agentKeys = [agentObjectKey('agents/', 'acme', at, '0123456789abcdef'), agentObjectKey('agents/', 'acme', at, '0123456789abcdef', true), 'agents/customer=acme/canary/doctor-20261121T101503123Z.json'];
    for (const key of agentKeys) {
      expect(denied(objectArn(key), {}), key).toBe(true);
      expect(denied(objectArn(key), { 's3:if-none-match': '*' }), key).toBe(false);
    }
    expect(denied(objectArn('private/finance.csv'), {})).toBe(false);
  });

  it("trust only Snowflake's IAM user, and only with the integration's external ID", () => {
    const [statement] = loadPolicy('snowflake-trust-policy.json').Statement;
    expect(statement?.Principal).toEqual({ AWS: VALUES.snowflake_iam_user_arn });
    expect(statement?.Condition?.StringEquals?.['sts:ExternalId']).toBe(VALUES.snowflake_external_id);
  });

  it('send every object created under the prefix to the pipe queue', () => {
    const text = readFileSync(join(AWS_DIR, 'bucket-notification.json'), 'utf8').replace(/<([a-z_]+)>/g, (w, n: string) => (VALUES as Record<string, string>)[n] ?? w);
    const config = JSON.parse(text) as { QueueConfigurations: { QueueArn: string; Events: string[]; Filter: unknown }[] };
    expect(config.QueueConfigurations).toEqual([expect.objectContaining({
      QueueArn: VALUES.pipe_notification_channel,
      Events: ['s3:ObjectCreated:*'],
      Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'agents/' }] } },
    })]);
  });
});
