import { describe, expect, it } from 'vitest';
import { classifyHttpFailure, extractReason } from '../../../agent/sources/open-meteo/http-status.ts';

const context = {
  endpoint: 'api.open-meteo.com/v1/forecast', apiKeyConfigured: false, now: new Date('2026-11-21T10:00:00Z'), scrub: (t: string) => t,
  variables: ['temperature_2m', 'tempeture_2m', 'is_day'],
};
const reply = (status: number, reason?: string, headers: Record<string, string> = {}) => ({
  status,
  headers,
  text: reason === undefined ? '<html>nope</html>' : JSON.stringify({ error: true, reason }),
});

describe('classifyHttpFailure', () => {
  it.each([
    [400, 'Cannot initialize WeatherVariable from invalid String value tempeture_2m for key current', 'bad-request', 'Fix open_meteo.variables in the config file: Open-Meteo does not accept "tempeture_2m"'],
    [400, "Data corrupted at path ''. Cannot initialize SurfacePressureAndHeightVariable from invalid String value tempeture_2m.", 'bad-request', 'does not accept "tempeture_2m"'],
    [400, 'Variable tempeture_2m is unknown', 'bad-request', 'does not accept "tempeture_2m"'],
    [400, 'Something new and unexpected', 'bad-request', '"Something new and unexpected". Check open_meteo.url and the names in open_meteo.variables'],
    [400, 'No data is available for this location', 'no-data', 'Check the latitude and longitude in [locations]'],
    [400, 'The supplied API key is invalid.', 'auth', 'copy the key again exactly as issued'],
    [400, "Your API URL is too long for automatic redirection from the open-access API to the commercial endpoints. Instead, use the 'customer-' prefixed URLs directly.", 'auth', 'set open_meteo.url = https://customer-api.open-meteo.com/v1/forecast'],
    [401, 'API key required. Please add &apikey= to the URL.', 'auth', 'This endpoint needs an API key: set open_meteo.api_key'],
    [414, undefined, 'http', 'refused the request URL as too long'],
    [400, 'Latitude must be in range of -90 to 90°. Given: 91.0.', 'bad-request', 'latitude and longitude in the [locations] section'],
    [400, 'Invalid API key', 'auth', 'Check open_meteo.api_key'],
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
    expect(error.message).toMatch(/\(HTTP \d+\) at api\.open-meteo\.com\/v1\/forecast/);
    expect(error.message).toContain(hint);
    expect(error.message).not.toContain('<html>');
  });

  it('says the key may be wrong when one is configured', () => {
    expect(classifyHttpFailure(reply(401, 'bad key'), { ...context, apiKeyConfigured: true }).message).toContain('check open_meteo.api_key');
    expect(classifyHttpFailure(reply(400, 'The supplied API key is invalid.'), { ...context, apiKeyConfigured: true }).message).toContain('copy the key again');
  });

  it('detects the 303 the free host sends for a request with a key, without quoting the Location', () => {
    const redirect = { status: 303, headers: { location: 'https://customer-api.open-meteo.com/v1/forecast?latitude=1&apikey=sekrit' }, text: '' };
    const error = classifyHttpFailure(redirect, { ...context, apiKeyConfigured: true });
    expect(error).toMatchObject({ kind: 'auth', status: 303 });
    expect(error.message).toContain('Open-Meteo refused the API key (HTTP 303) at api.open-meteo.com/v1/forecast: the free endpoint takes no key and redirects such requests to the commercial endpoint, so no data was sent. Fix: set open_meteo.url = https://customer-api.open-meteo.com/v1/forecast');
    expect(error.message).not.toContain('sekrit');
  });

  it('waits for the window a 429 without Retry-After names', () => {
    const at = (reason: string) => classifyHttpFailure(reply(429, reason), context).retryAfterSeconds;
    expect(at('Minutely API request limit exceeded. Please try again in one minute.')).toBe(60);
    expect(at('Hourly API request limit exceeded. Please try again in the next hour.')).toBe(3600);
    expect(at('Daily API request limit exceeded. Please try again tomorrow.')).toBe(14 * 3600);
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
