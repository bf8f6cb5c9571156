import { describe, expect, it } from 'vitest';
import { isExemptFromProxy } from '../../agent/net/no-proxy.ts';

describe('isExemptFromProxy', () => {
  it.each([
    // [NO_PROXY, hostname, port, exempt]
    [undefined, 'api.open-meteo.com', 443, false],
    ['', 'api.open-meteo.com', 443, false],
    ['*', 'api.open-meteo.com', 443, true],
    ['localhost, *', 'anything.example', 80, true],
    ['example.com', 'example.com', 443, true],
    ['example.com', 'api.example.com', 443, true],
    ['example.com', 'notexample.com', 443, false],
    ['example.com', 'example.com.evil.net', 443, false],
    ['.example.com', 'example.com', 443, true],
    ['.example.com', 'a.b.example.com', 443, true],
    ['*.example.com', 'api.example.com', 443, true],
    ['*.example.com', 'badexample.com', 443, false],
    ['EXAMPLE.com', 'Api.Example.COM', 443, true],
    ['example.com.', 'example.com', 443, true],
    ['example.com', 'example.com.', 443, true],
    ['other.net,example.com', 'example.com', 443, true],
    ['other.net example.com', 'example.com', 443, true],
    [' other.net , , example.com ', 'example.com', 443, true],
    ['other.net', 'example.com', 443, false],
    ['example.com:8443', 'example.com', 8443, true],
    ['example.com:8443', 'example.com', 443, false],
    ['.example.com:9000', 's3.example.com', 9000, true],
    ['127.0.0.1', '127.0.0.1', 9000, true],
    ['127.0.0.1', '127.0.0.2', 9000, false],
    ['127.0.0.1:9000', '127.0.0.1', 9000, true],
    ['127.0.0.1:9000', '127.0.0.1', 9001, false],
    ['10.0.0.0/8', '10.20.30.40', 443, true],
    ['10.0.0.0/8', '11.0.0.1', 443, false],
    ['10.0.0.0/8', 'ten.example.com', 443, false],
    ['0.0.0.1', '1.0.0.0', 443, false],
    ['::1', '[::1]', 443, true],
    ['[::1]', '[::1]', 443, true],
    ['[::1]:9000', '[::1]', 9000, true],
    ['[::1]:9000', '[::1]', 9001, false],
    ['0:0:0:0:0:0:0:1', '[::1]', 443, true],
    ['fd00::/8', '[fd12::5]', 443, true],
    ['fd00::/8', '[fe80::1]', 443, false],
    ['10.0.0.0/99', '10.0.0.1', 443, false],
  ])('NO_PROXY=%j host=%s port=%i -> exempt %s', (noProxy, hostname, port, exempt) => {
    expect(isExemptFromProxy(hostname, port, noProxy)).toBe(exempt);
  });
});
