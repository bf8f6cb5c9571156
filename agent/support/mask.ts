// Secrets out of everything that goes into a support bundle. Two layers:
//   1. known values: every secret the agent can know (api key, proxy password and its Basic token,
//      every value of the credentials file, AWS_* secrets in the environment) is replaced wherever
//      it appears, raw, URL-encoded or base64-encoded as a Basic token;
//   2. shapes: `key = value` lines whose key names a secret, user:password@ in URLs, apikey=
//      query parameters, Authorization / Proxy-Authorization headers, SigV4 signatures.
// The bundle test writes logs that contain the secrets on purpose and proves none survives.
import { describeProxy } from '../net/index.ts';

export const MASK = '**REDACTED**';

/** INI keys whose values are secrets (config.ini, the credentials file, legacy configs). */
const SECRET_KEY = /(secret|password|passwd|token|api_?key|apikey|credential(?!s_file))/i;

export type Scrubber = (text: string) => string;

/** A function removing every known secret value and every secret-shaped text. */
export function createScrubber(secrets: Iterable<string | undefined>): Scrubber {
  const values = new Set<string>();
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    values.add(secret);
    values.add(encodeURIComponent(secret));
  }
  const ordered = [...values].sort((a, b) => b.length - a.length);
  return (text) => {
    let result = text;
    for (const value of ordered) result = result.split(value).join(MASK);
    return scrubShapes(result);
  };
}

export function scrubShapes(text: string): string {
  return text
    .replace(/(\/\/[^/\s:@]+):[^/\s@]+@/g, `$1:${MASK}@`)
    .replace(/([?&](?:apikey|api_key|key|token|signature|x-amz-signature|x-amz-security-token|x-amz-credential)=)[^&\s"']+/gi, `$1${MASK}`)
    .replace(/((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(basic|bearer|aws4-hmac-sha256)\s+[^\s"',]+(?:[^\n"']*)/gi, `$1$2 ${MASK}`)
    .replace(/(Signature=)[0-9a-f]{16,}/gi, `$1${MASK}`)
    .replace(/((?:aws_secret_access_key|aws_session_token|x-amz-security-token)["']?\s*[:=]\s*["']?)[^\s"',]+/gi, `$1${MASK}`);
}

/**
 * config.ini as the technician wrote it (comments and line numbers kept, so problems can be
 * located), with the value of every secret-named key masked and proxy URLs shown without
 * user:password.
 */
export function maskIniText(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => {
      const match = /^(\s*)([^=;#[\s][^=]*?)(\s*=\s*)(.*)$/.exec(line);
      if (!match) return line;
      const [, indent = '', key = '', equals = '', value = ''] = match;
      if (value.trim() === '') return line;
      if (/^proxy$/i.test(key.trim())) return `${indent}${key}${equals}${describeProxy(value.trim())}`;
      if (SECRET_KEY.test(key)) return `${indent}${key}${equals}${MASK}`;
      return line;
    })
    .join('\n');
}

/** user:password of a proxy URL and the Basic token they become: the proxy code's own derivation. */
export { proxySecrets } from '../net/proxy.ts';
