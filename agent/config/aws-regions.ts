// The AWS Region codes a site may name in `[s3] region` without an `endpoint`, so a typo such as
// `eu-nrth-1` is caught by `validate` with the nearest real name instead of failing later as a
// DNS error at upload time. Source: AWS documentation, "AWS Region billing codes"
// (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-region-billing-codes.html,
// read 2026-12-01), plus the GovCloud and China partitions. A region AWS opens later needs a line
// here; until then a site can still use it through `[s3] endpoint`.
export const AWS_REGIONS: readonly string[] = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'ca-west-1', 'mx-central-1',
  'af-south-1',
  'ap-east-1', 'ap-east-2', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-south-2',
  'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7',
  'eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3',
  'il-central-1', 'me-central-1', 'me-south-1',
  'sa-east-1',
  'us-gov-east-1', 'us-gov-west-1',
  'cn-north-1', 'cn-northwest-1',
];
