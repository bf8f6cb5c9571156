// Value parsers for [roles_anywhere]: the ARN shapes of a Roles Anywhere trust anchor and profile
// (arn:<partition>:rolesanywhere:<region>:<account>:trust-anchor/<id> | profile/<id>, see
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementrolesanywhere.html)
// and of an IAM role (arn:<partition>:iam::<account>:role/<path/>name). ARNs are not secrets, so
// messages echo them.
import { checkedText } from './fields.ts';

const PARTITION = '(aws|aws-cn|aws-us-gov)';
const ACCOUNT = '\\d{12}';
const RESOURCE_ID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

export function rolesAnywhereArn(kind: 'trust-anchor' | 'profile') {
  const pattern = new RegExp(`^arn:${PARTITION}:rolesanywhere:([a-z]{2}(-[a-z]+)+-\\d+):${ACCOUNT}:${kind}/${RESOURCE_ID}$`);
  const example = `arn:aws:rolesanywhere:eu-north-1:123456789012:${kind}/0b5c3d9e-1f2a-4b6c-8d7e-9f0a1b2c3d4e`;
  return checkedText((value) => {
    if (pattern.test(value)) return null;
    const wrongKind = /^arn:[^:]+:rolesanywhere:[^:]*:[^:]*:([a-z-]+)\//.exec(value)?.[1];
    const why = wrongKind && wrongKind !== kind ? `it is a ${wrongKind} ARN, not a ${kind} ARN` : `it is not a Roles Anywhere ${kind} ARN`;
    return `'${value}': ${why}; expected ${example} (copy it from the IAM Roles Anywhere console or 'aws rolesanywhere list-${kind === 'profile' ? 'profiles' : 'trust-anchors'}')`;
  });
}

export const iamRoleArn = checkedText((value) =>
  new RegExp(`^arn:${PARTITION}:iam::${ACCOUNT}:role/[\\w+=,.@/-]{1,512}$`).test(value)
    ? null
    : `'${value}' is not an IAM role ARN; expected arn:aws:iam::123456789012:role/datapipe-agent-sites (the role the Roles Anywhere profile lists)`,
);

/** The region inside a rolesanywhere ARN. */
export function arnRegion(arn: string): string | undefined {
  return arn.split(':')[3] || undefined;
}
