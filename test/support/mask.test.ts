// What the support bundle's scrubber removes: known values in every encoding, and secret-shaped
// text it was never told about.
import { describe, expect, it } from 'vitest';
import { createScrubber, maskIniText, proxySecrets } from '../../agent/support/mask.ts';

describe('createScrubber', () => {
  it('replaces known values raw and URL-encoded, longest first', () => {
    const scrub = createScrubber(['p@ss/word+1', 'abc', undefined]);
    expect(scrub('a p@ss/word+1 b p%40ss%2Fword%2B1 c abc')).toBe('a **REDACTED** b **REDACTED** c abc');
  });

  it.each([
    ['http://user:hunter22@proxy:8080', 'http://user:**REDACTED**@proxy:8080'],
    ['GET /v1/forecast?latitude=1&apikey=K3Y&current=x', 'GET /v1/forecast?latitude=1&apikey=**REDACTED**&current=x'],
    ['Proxy-Authorization: Basic dXNlcjpwYXNz', 'Proxy-Authorization: Basic **REDACTED**'],
    ['authorization: AWS4-HMAC-SHA256 Credential=AKIA/2026/x, Signature=abc', 'authorization: AWS4-HMAC-SHA256 **REDACTED**'],
    ['X-Amz-Signature=0123456789abcdef0123', 'X-Amz-Signature=**REDACTED**'],
    ['aws_secret_access_key = wJalrXUtnFEMI', 'aws_secret_access_key = **REDACTED**'],
    ['"aws_session_token": "FwoG"', '"aws_session_token": "**REDACTED**"'],
  ])('masks secret-shaped text: %s', (input, expected) => {
    expect(createScrubber([])(input)).toBe(expected);
  });
});

describe('maskIniText', () => {
  it('masks secret keys and proxy credentials, keeps everything else and the line numbers', () => {
    const text = '[open_meteo]\r\napi_key = k-123\nurl = https://x/v1/forecast\n; password = comment stays\n[network]\nproxy = http://u:p4ss@proxy:3128\n[s3]\ncredentials_file = creds.ini\n';
    const masked = maskIniText(text);
    expect(masked.split('\n')).toHaveLength(text.split('\n').length);
    expect(masked).toContain('api_key = **REDACTED**');
    expect(masked).toContain('url = https://x/v1/forecast');
    expect(masked).toContain('proxy = http://**REDACTED**@proxy:3128');
    expect(masked).toContain('credentials_file = creds.ini');
    expect(masked).toContain('; password = comment stays');
    expect(masked).not.toContain('p4ss');
  });
});

describe('proxySecrets', () => {
  it('gives the password, its decoded form and the Basic token', () => {
    expect(proxySecrets('http://me:a%40b@proxy:1')).toEqual(['a%40b', 'a@b', Buffer.from('me:a@b').toString('base64')]);
    expect(proxySecrets('proxy:3128')).toEqual([]);
    expect(proxySecrets(undefined)).toEqual([]);
  });
});
