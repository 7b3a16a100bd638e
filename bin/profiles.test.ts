import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { profileKeyHash, redisKeys } from '../core/index.ts';
import { RedisProfileStore } from '../core/store/redis-profile-store.ts';
import { parseProfileLine, profiles } from './profiles.ts';

const url = inject('redisUrl');
const run = randomUUID().slice(0, 8);
const SALT = 'import-test-salt-0123';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l) } };
}

describe('outbid profiles import', () => {
  let dir: string;
  let raw: Redis;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outbid-profiles-'));
    raw = new Redis(url);
  });
  afterAll(async () => {
    await raw.quit();
    await rm(dir, { recursive: true, force: true });
  });

  it('imports valid lines under hashed keys, reports malformed ones by line number, and prints a summary', async () => {
    const prefix = `test:${run}:import:`;
    const file = join(dir, 'profiles.jsonl');
    await writeFile(
      file,
      [
        '{"key": "cookie-1", "segments": [{"id": "crm:gold"}, {"id": "crm:ltv", "value": "120"}]}',
        '{"key": "ifa-2", "segments": [{"id": "crm:churn", "value": 0.25}], "ttlSec": 600}',
        '',
        '{"key": "broken", "segments": [',
        '{"key": "", "segments": []}',
        '{"key": "no-segments"}',
        '{"key": "bad-ttl", "segments": [], "ttlSec": 0}',
        '{"key": "bad-seg", "segments": [{"value": "1"}]}',
        '{"key": "cookie-3", "segments": []}',
      ].join('\n'),
    );
    const { out, err, io } = capture();
    const code = await profiles(
      ['import', file, '--ttl', '3600'],
      { REDIS_URL: url, REDIS_PREFIX: prefix, PROFILE_SALT: SALT },
      io,
    );
    expect(code).toBe(1);
    expect(out.map((l) => JSON.parse(l))).toEqual([
      { file, lines: 9, imported: 3, malformed: 5, defaultTtlSec: 3600 },
    ]);
    expect(err.map((l) => l.slice(file.length + 1).split(':')[0])).toEqual(['4', '5', '6', '7', '8']);
    expect(err[1]).toContain('"key" must be a non-empty string');

    const store = new RedisProfileStore({ url, prefix });
    try {
      expect(await store.get([profileKeyHash('cookie-1', SALT)])).toEqual([
        { id: 'crm:gold' },
        { id: 'crm:ltv', value: '120' },
      ]);
      expect(await store.get([profileKeyHash('ifa-2', SALT)])).toEqual([{ id: 'crm:churn', value: '0.25' }]);
      expect(await store.get([profileKeyHash('cookie-3', SALT)])).toEqual([]);
    } finally {
      await store.close();
    }
    const ttl1 = await raw.ttl(redisKeys.profile(prefix, profileKeyHash('cookie-1', SALT)));
    const ttl2 = await raw.ttl(redisKeys.profile(prefix, profileKeyHash('ifa-2', SALT)));
    expect(ttl1).toBeGreaterThan(3590);
    expect(ttl1).toBeLessThanOrEqual(3600);
    expect(ttl2).toBeGreaterThan(590);
    expect(ttl2).toBeLessThanOrEqual(600);
    // Raw ids never become keys.
    expect(await raw.keys(`${prefix}*cookie-1*`)).toEqual([]);
  });

  it('exits 0 when every line was imported, using PROFILE_TTL_SEC by default', async () => {
    const prefix = `test:${run}:clean:`;
    const file = join(dir, 'clean.jsonl');
    await writeFile(file, '{"key": "u1", "segments": [{"id": "s"}]}\n');
    const { out, err, io } = capture();
    const env = { REDIS_URL: url, REDIS_PREFIX: prefix, PROFILE_SALT: SALT, PROFILE_TTL_SEC: '7200' };
    expect(await profiles(['import', file], env, io)).toBe(0);
    expect(err).toEqual([]);
    expect(JSON.parse(out[0]!)).toEqual({ file, lines: 1, imported: 1, malformed: 0, defaultTtlSec: 7200 });
  });

  it('refuses to run without REDIS_URL, explaining where the embedded profile store lives', async () => {
    const { out, err, io } = capture();
    expect(await profiles(['import', join(dir, 'any.jsonl')], {}, io)).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('\n')).toMatch(/REDIS_URL is not set.*inside the `outbid serve` process/);
  });

  it.each([
    [['export', 'f']],
    [['import']],
    [['import', 'a', 'b']],
    [['import', 'f', '--ttl', '0']],
    [['import', 'f', '--ttl', 'soon']],
    [['import', 'f', '--bogus']],
  ])('answers %j with a usage error (exit 2)', async (argv) => {
    const { err, io } = capture();
    expect(await profiles(argv, { REDIS_URL: url }, io)).toBe(2);
    expect(err.join('\n')).toContain('outbid profiles:');
  });

  it('stops with exit 1 and a summary when the file cannot be read', async () => {
    const { out, err, io } = capture();
    const missing = join(dir, 'missing.jsonl');
    expect(
      await profiles(['import', missing], { REDIS_URL: url, REDIS_PREFIX: `test:${run}:missing:` }, io),
    ).toBe(1);
    expect(err.join('\n')).toContain('ENOENT');
    expect(JSON.parse(out[0]!)).toMatchObject({ imported: 0, stopped: true });
  });
});

describe('parseProfileLine', () => {
  it('applies the default TTL, keeps string values and stringifies numeric ones', () => {
    expect(parseProfileLine('{"key":"k","segments":[{"id":"a","value":1.5},{"id":"b"}]}', 60)).toEqual({
      ok: true,
      rawKey: 'k',
      segments: [{ id: 'a', value: '1.5' }, { id: 'b' }],
      ttlSec: 60,
    });
  });

  it.each([
    ['[]', 'not a JSON object'],
    ['{"key":"k","segments":[{"id":"a","value":true}]}', 'segments[0].value'],
    ['{"key":"k","segments":[],"ttlSec":1.5}', '"ttlSec"'],
    ['{"key":"k","segments":{}}', '"segments"'],
  ])('rejects %s', (line, problem) => {
    const parsed = parseProfileLine(line, 60);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problem).toContain(problem);
  });
});
