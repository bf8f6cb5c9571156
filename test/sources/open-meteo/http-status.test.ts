import { describe, expect, it } from 'vitest';
import { classifyHttpFailure, extractReason } from '../../../agent/sources/open-meteo/http-status.ts';

const context = { endpoint: 'api.open-meteo.com/v1/forecast', apiKeyConfigured: false, now: new Date('2026-11-21T10:00:00Z'), scrub: (t: string) => t };
const reply = (status: number, reason?: string, headers: Record<string, string> = {}) => ({
  status,
  headers,
  text: reason === undefined ? '<html>nope</html>' : JSON.stringify({ error: true, reason }),
});

describe('classifyHttpFailure', () => {
  it.each([
    [400, 'Cannot initialize WeatherVariable from invalid String value tempeture_2m for key current', 'bad-request', 'Fix open_meteo.variables'],
    [400, 'Latitude must be in range of -90 to 90°. Given: 91.0.', 'bad-request', 'latitude and longitude in the [locations] section'],
    [400, 'Invalid API key', 'auth', 'set open_meteo.api_key'],
    [401, 'API key required', 'auth', 'set open_meteo.api_key'],
    [403, undefined, 'auth', 'set open_meteo.api_key'],
    [429, 'Minutely API request limit exceeded. Please try again in one minute.', 'rate-limited', 'Minutely API request limit exceeded'],
    [503, 'The service is overloaded', 'unavailable', 'The service is overloaded'],
    [500, undefined, 'http', 'tries again next cycle'],
    [404, 'Not Found', 'http', 'open_meteo.url'],
    [407, undefined, 'http', 'network.proxy'],
  ] as const)('maps %i (%s) to %s', (status, reason, kind, hint) => {
    const error = classifyHttpFailure(reply(status, reason), context);
    expect(error).toMatchObject({ kind, status });
    expect(error.message).toContain(`(HTTP ${status}) at api.open-meteo.com/v1/forecast`);
    expect(error.message).toContain(hint);
    expect(error.message).not.toContain('<html>');
  });

  it('says the key may be wrong when one is configured', () => {
    expect(classifyHttpFailure(reply(401, 'bad key'), { ...context, apiKeyConfigured: true }).message).toContain('Check open_meteo.api_key');
  });

  it('takes Retry-After only from 429 and 503', () => {
    expect(classifyHttpFailure(reply(429, 'x', { 'retry-after': '30' }), context).retryAfterSeconds).toBe(30);
    expect(classifyHttpFailure(reply(503, 'x', { 'retry-after': '5' }), context).retryAfterSeconds).toBe(5);
    expect(classifyHttpFailure(reply(500, 'x', { 'retry-after': '5' }), context).retryAfterSeconds).toBeUndefined();
  });

  it('scrubs the reason before quoting it', () => {
    const scrub = (t: string) => t.replace('sekrit-key', '**REDACTED**');
    const error = classifyHttpFailure(reply(401, 'key sekrit-key is unknown'), { ...context, scrub });
    expect(error.message).toContain('key **REDACTED** is unknown');
    expect(error.message).not.toContain('sekrit-key');
  });
});

describe('extractReason', () => {
  it.each([
    ['{"error":true,"reason":"The service is overloaded"}', 'The service is overloaded'],
    ['{"error":true}', undefined],
    ['Bad Gateway', undefined],
    ['', undefined],
  ])('reads %j', (text, expected) => {
    expect(extractReason(text)).toBe(expected);
  });
});
