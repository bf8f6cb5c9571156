// The URL the S3 client really connects to, for the proxy decision (NO_PROXY, WinHTTP, PAC), the
// request handler built for it, doctor's DNS/reachability probes and the network debug line. It
// must name the host the SDK opens its connection to, or an exact-host NO_PROXY entry for the
// bucket's host (`<bucket>.s3.<region>.amazonaws.com`) is matched against another host and ignored.
//
// How the SDK picks the host (AWS docs, "Virtual hosting of general purpose buckets",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html; and the S3 endpoint
// rules of @aws-sdk/client-s3 3.1169, node_modules/@aws-sdk/client-s3/dist-es/endpoint/bdd.js with
// @aws-sdk/core .../util-endpoints/lib/aws/isVirtualHostableS3Bucket.js):
//   - [s3] endpoint set: the sink sets forcePathStyle (sinks/s3/sink.ts), so the endpoint's own
//     host, bucket in the path.
//   - AWS, bucket a virtual-hostable name (one DNS label: 3-63 of a-z 0-9 '-', not starting or
//     ending with '-'): virtual-hosted style, https://<bucket>.s3.<region>.<dns suffix>.
//   - AWS, bucket with a '.' (not one label; over https a dotted host would not match the
//     *.s3 certificate): path style, https://s3.<region>.<dns suffix>/<bucket>.
//   The DNS suffix is the region's partition's: amazonaws.com.cn for the China regions.
// Checked against the SDK itself by test/sinks/s3/endpoint.test.ts, which reads the host of the
// request the client sends.
import type { S3Config } from '../../config/types.ts';

/** One DNS label the SDK accepts as a virtual host (isValidHostLabel + isVirtualHostableS3Bucket). */
const VIRTUAL_HOSTABLE_BUCKET = /^(?!-)[a-z0-9-]{3,63}(?<!-)$/;

export function s3EndpointUrl(s3: Pick<S3Config, 'bucket' | 'region' | 'endpoint'>): string {
  if (s3.endpoint) return s3.endpoint;
  const suffix = s3.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  const regional = `s3.${s3.region}.${suffix}`;
  return `https://${VIRTUAL_HOSTABLE_BUCKET.test(s3.bucket) ? `${s3.bucket}.${regional}` : regional}`;
}
