import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config.ts';

describe('loadConfig', () => {
  it('has working defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.host).toBe('0.0.0.0');
    expect(c.dataDir).toBe('./data');
    expect(c.publicUrl).toBe('http://localhost:8080');
    expect(c.redisUrl).toBeUndefined();
    expect(c.currencyRates).toEqual({ USD: 1 });
    expect(c.seedDemo).toBe(true);
    expect(c.profileSalt).toBe('outbid-profile-salt');
    expect(c.profileTtlSec).toBe(2_592_000);
  });

  it('reads the profile salt and TTL, and rejects bad ones without echoing the salt', () => {
    const c = loadConfig({ PROFILE_SALT: 'a-long-enough-salt-value', PROFILE_TTL_SEC: '3600' });
    expect(c.profileSalt).toBe('a-long-enough-salt-value');
    expect(c.profileTtlSec).toBe(3600);
    let err: unknown;
    try {
      loadConfig({ PROFILE_SALT: 'short-salt', PROFILE_TTL_SEC: '10' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['PROFILE_SALT', 'PROFILE_TTL_SEC']);
    expect((err as ConfigError).message).not.toContain('short-salt');
  });

  it('reads and coerces values', () => {
    const c = loadConfig({
      PORT: '9000',
      PUBLIC_URL: 'https://bid.example.com/',
      REDIS_URL: 'redis://127.0.0.1:6379',
      CURRENCY_RATES: '{"EUR":1.08,"JPY":0.0067}',
      EXCHANGES: '{"ssp-a":{"noBidResponse":"nbr","networkAllowanceMs":30}}',
      SEED_DEMO: 'false',
    });
    expect(c.port).toBe(9000);
    expect(c.publicUrl).toBe('https://bid.example.com');
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(c.currencyRates).toEqual({ USD: 1, EUR: 1.08, JPY: 0.0067 });
    expect(c.exchanges).toEqual({ 'ssp-a': { noBidResponse: 'nbr', networkAllowanceMs: 30 } });
    expect(c.seedDemo).toBe(false);
  });

  it('reports every problem at once, without echoing the secret', () => {
    let err: unknown;
    try {
      loadConfig({
        PORT: 'abc',
        LOG_LEVEL: 'loud',
        PUBLIC_URL: 'ftp://x',
        REDIS_URL: 'http://nope',
        OUTBID_SECRET: 'short-secret',
        CURRENCY_RATES: '{"EUR":-1,"euro":2}',
        EXCHANGES: '{"a":{"noBidResponse":"x","extra":1}}',
        SEED_DEMO: 'maybe',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    const names = problems.map((p) => p.split(/[:.]/)[0]);
    expect(new Set(names)).toEqual(
      new Set([
        'PORT',
        'LOG_LEVEL',
        'PUBLIC_URL',
        'REDIS_URL',
        'OUTBID_SECRET',
        'CURRENCY_RATES',
        'EXCHANGES',
        'SEED_DEMO',
      ]),
    );
    expect(problems.length).toBe(10);
    expect((err as ConfigError).message).not.toContain('short-secret');
    expect((err as ConfigError).code).toBe('CFG_INVALID');
  });

  it('rejects malformed JSON settings', () => {
    expect(() => loadConfig({ CURRENCY_RATES: '{EUR:1}' })).toThrow(/CURRENCY_RATES: not valid JSON/);
    expect(() => loadConfig({ EXCHANGES: '[]' })).toThrow(/EXCHANGES: must be a JSON object/);
  });
});
