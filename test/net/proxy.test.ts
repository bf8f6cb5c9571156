import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../agent/errors.ts';
import { redactText } from '../../agent/log/logger.ts';
import { describeProxy, prepareProxy, proxyUrlProblem, resolveProxy } from '../../agent/net/proxy.ts';

const HTTPS_TARGET = 'https://api.open-meteo.com/v1/forecast';
const HTTP_TARGET = 'http://127.0.0.1:9000/bucket';

describe('resolveProxy', () => {
  it.each([
    // [case, target, config proxy, env, expected]
    ['nothing set', HTTPS_TARGET, undefined, {}, undefined],
    ['config proxy, https target', HTTPS_TARGET, 'http://cfg:3128', {}, 'http://cfg:3128'],
    ['config proxy, http target', HTTP_TARGET, 'http://cfg:3128', {}, 'http://cfg:3128'],
    ['config proxy wins over HTTPS_PROXY', HTTPS_TARGET, 'http://cfg:3128', { HTTPS_PROXY: 'http://env:8080' }, 'http://cfg:3128'],
    ['config proxy wins over HTTP_PROXY', HTTP_TARGET, 'http://cfg:3128', { HTTP_PROXY: 'http://env:8080' }, 'http://cfg:3128'],
    ['blank config proxy falls back to env', HTTPS_TARGET, '  ', { HTTPS_PROXY: 'http://env:8080' }, 'http://env:8080'],
    ['HTTPS_PROXY for https', HTTPS_TARGET, undefined, { HTTPS_PROXY: 'http://env:8080' }, 'http://env:8080'],
    ['https_proxy for https', HTTPS_TARGET, undefined, { https_proxy: 'http://lower:8080' }, 'http://lower:8080'],
    ['lower-case wins', HTTPS_TARGET, undefined, { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2' }, 'http://lower:1'],
    ['empty lower-case counts as unset', HTTPS_TARGET, undefined, { https_proxy: '', HTTPS_PROXY: 'http://upper:2' }, 'http://upper:2'],
    ['HTTP_PROXY not used for https', HTTPS_TARGET, undefined, { HTTP_PROXY: 'http://env:8080' }, undefined],
    ['HTTP_PROXY for http', HTTP_TARGET, undefined, { HTTP_PROXY: 'http://env:8080' }, 'http://env:8080'],
    ['http_proxy for http', HTTP_TARGET, undefined, { http_proxy: 'http://lower:8080' }, 'http://lower:8080'],
    ['HTTPS_PROXY not used for http', HTTP_TARGET, undefined, { HTTPS_PROXY: 'http://env:8080' }, undefined],
    ['scheme-less env proxy means http', HTTPS_TARGET, undefined, { HTTPS_PROXY: 'proxy.corp:8080' }, 'http://proxy.corp:8080'],
    ['scheme-less config proxy means http', HTTPS_TARGET, 'proxy.corp:8080', {}, 'http://proxy.corp:8080'],
    ['NO_PROXY exempts from config proxy', HTTPS_TARGET, 'http://cfg:3128', { NO_PROXY: '.open-meteo.com' }, undefined],
    ['NO_PROXY exempts from env proxy', HTTPS_TARGET, undefined, { HTTPS_PROXY: 'http://env:8080', NO_PROXY: 'open-meteo.com' }, undefined],
    ['no_proxy lower-case', HTTP_TARGET, 'http://cfg:3128', { no_proxy: '127.0.0.1' }, undefined],
    ['NO_PROXY *', HTTP_TARGET, 'http://cfg:3128', { NO_PROXY: '*' }, undefined],
    ['NO_PROXY host:port matches default https port', HTTPS_TARGET, 'http://cfg:3128', { NO_PROXY: 'api.open-meteo.com:443' }, undefined],
    ['NO_PROXY other port does not match', HTTPS_TARGET, 'http://cfg:3128', { NO_PROXY: 'api.open-meteo.com:8443' }, 'http://cfg:3128'],
    ['NO_PROXY host:port on explicit port', HTTP_TARGET, 'http://cfg:3128', { NO_PROXY: '127.0.0.1:9000' }, undefined],
    ['NO_PROXY other host', HTTPS_TARGET, 'http://cfg:3128', { NO_PROXY: 'localhost,127.0.0.1' }, 'http://cfg:3128'],
  ] as const)('%s', (_case, target, proxy, env, expected) => {
    const network = proxy === undefined ? {} : { proxy };
    expect(resolveProxy(target, network, { ...env })).toBe(expected);
  });

  it('reads process.env when no env is given', () => {
    const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, https_proxy: process.env.https_proxy, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy };
    try {
      delete process.env.https_proxy;
      delete process.env.NO_PROXY;
      delete process.env.no_proxy;
      process.env.HTTPS_PROXY = 'http://from-process-env:8080';
      expect(resolveProxy(HTTPS_TARGET, {})).toBe('http://from-process-env:8080');
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('rejects an invalid target without echoing it', () => {
    expect(() => resolveProxy('not a url?apikey=s3cr3t-key', {}, {})).toThrow(/target is not a valid URL/);
    expect(() => resolveProxy('not a url?apikey=s3cr3t-key', {}, {})).not.toThrow(/s3cr3t/);
  });
});

describe('describeProxy', () => {
  it.each([
    [undefined, 'direct'],
    ['', 'direct'],
    ['http://proxy.corp:8080', 'http://proxy.corp:8080'],
    ['http://proxy.corp:8080/', 'http://proxy.corp:8080'],
    ['https://proxy.corp', 'https://proxy.corp'],
    ['proxy.corp:3128', 'http://proxy.corp:3128'],
    ['http://tech:Pa55word-x@proxy.corp:8080', 'http://**REDACTED**@proxy.corp:8080'],
    ['http://tech@proxy.corp:8080', 'http://**REDACTED**@proxy.corp:8080'],
    ['http://[::1]:3128', 'http://[::1]:3128'],
    ['http://bad host:pass@', 'invalid proxy URL'],
  ])('%j -> %s', (input, expected) => {
    expect(describeProxy(input)).toBe(expected);
  });
});

describe('proxyUrlProblem', () => {
  it.each(['http://proxy:8080', 'https://proxy', 'proxy:8080', 'http://u:p%40ss@proxy:8080/'])('accepts %s', (url) => {
    expect(proxyUrlProblem(url)).toBeUndefined();
  });

  it.each([
    ['socks5://proxy:1080', /unsupported scheme "socks5:"/],
    ['http://proxy:8080/path', /must not have a path/],
    ['http://proxy:8080/?x=1', /must not have a path/],
    ['http://:8080', /not a valid URL/],
    ['http://user:Secret-99@proxy:99999', /not a valid URL/],
  ])('rejects %s', (url, message) => {
    const problem = proxyUrlProblem(url);
    expect(problem).toMatch(message);
    expect(problem).not.toContain('Secret-99');
  });
});

describe('prepareProxy', () => {
  it('splits credentials into a Basic header and registers the password for redaction', () => {
    const prepared = prepareProxy(HTTPS_TARGET, { proxy: 'http://tech%40corp:Pr0xy%3Apass-1@proxy.corp:8080' }, {});
    expect(prepared).toEqual({
      uri: 'http://proxy.corp:8080/',
      authorization: `Basic ${Buffer.from('tech@corp:Pr0xy:pass-1').toString('base64')}`,
      display: 'http://**REDACTED**@proxy.corp:8080',
    });
    expect(redactText('proxy said Pr0xy:pass-1 and Pr0xy%3Apass-1')).toBe('proxy said **REDACTED** and **REDACTED**');
  });

  it('returns undefined for a direct connection', () => {
    expect(prepareProxy(HTTPS_TARGET, {}, { NO_PROXY: '*', HTTPS_PROXY: 'http://env:1' })).toBeUndefined();
  });

  it('names network.proxy when the config proxy is unusable', () => {
    const attempt = () => prepareProxy(HTTPS_TARGET, { proxy: 'socks5://user:Hidden-pass@proxy:1080' }, {});
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/network\.proxy: uses the unsupported scheme "socks5:"/);
    expect(attempt).not.toThrow(/Hidden-pass/);
  });

  it('names the environment variable when the env proxy is unusable', () => {
    expect(() => prepareProxy(HTTPS_TARGET, {}, { HTTPS_PROXY: 'http://proxy:8080/some/path' })).toThrow(/environment: HTTPS_PROXY: must not have a path/);
  });
});
