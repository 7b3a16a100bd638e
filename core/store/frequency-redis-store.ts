import { redisKeys } from '../keys.ts';
import { defaultStoreErrorHandler, StoreError, type StoreErrorHandler } from './errors.ts';
import {
  checkEventId,
  checkFrequencyArgs,
  checkHoldTtlMs,
  type FrequencyRecordOutcome,
  type FrequencyScope,
  type FrequencyStore,
  longestWindowMs,
  NONE_CAPPED,
} from './frequency-store.ts';
import { type RedisClient, RedisConnection } from './redis-connection.ts';

const closedError = () => new StoreError('STORE_CLOSED', 'the frequency store is closed');

/** Options of `RedisFrequencyStore`. */
export interface RedisFrequencyStoreOptions {
  /** `redis://[user:password@]host:port[/db]`; with `cluster`, one or more comma-separated seed nodes. */
  url: string;
  /** Connect to a Redis Cluster through the seed nodes in `url` (REDIS_CLUSTER; default false). */
  cluster?: boolean;
  /** Prepended to every key (REDIS_PREFIX), as for the state store (default ''). */
  prefix?: string;
  /** How long ready() waits for Redis before it rejects (default 5000). */
  connectTimeoutMs?: number;
  /** Receives connection errors after start (default: stderr). */
  onError?: StoreErrorHandler;
}

/*
 * Every script takes KEYS as (impressions, holds) pairs, one pair per scope with caps, and per
 * scope in ARGV: the number of caps, then per cap the exclusive lower bound of its window
 * (`(now - windowMs`, a ZCOUNT bound computed in JavaScript so Lua never formats a 13-digit number)
 * and its max. A hold counts in every window: the impression it stands for may land in any.
 */
const SCRIPTS = {
  // ARGV: `(now` (live holds expire after now), then the scopes. Returns 1 per full scope, else 0.
  // Not marked readOnly on purpose: that would let a Cluster client read a lagging replica.
  outbidFreqCheck: {
    lua: `local a = 2
local out = {}
for s = 1, #KEYS / 2 do
  local holds = redis.call('ZCOUNT', KEYS[2 * s], ARGV[1], '+inf')
  local n = tonumber(ARGV[a]); a = a + 1
  local full = 0
  for _ = 1, n do
    if full == 0 and holds + redis.call('ZCOUNT', KEYS[2 * s - 1], ARGV[a], '+inf') >= tonumber(ARGV[a + 1]) then
      full = 1
    end
    a = a + 2
  end
  out[s] = full
end
return out`,
  },
  // ARGV: now, holdId, expiry ms, hold TTL ms, then the scopes. All or none: a first pass finds the
  // full scopes (own hold not counted, so a renewal never blocks itself) and writes only if none is.
  // Returns the 1-based indexes of the full scopes (empty = held).
  outbidFreqReserve: {
    lua: `local id = ARGV[2]
local a = 5
local fullScopes = {}
for s = 1, #KEYS / 2 do
  local imp, hold = KEYS[2 * s - 1], KEYS[2 * s]
  redis.call('ZREMRANGEBYSCORE', hold, '-inf', ARGV[1])
  local holds = redis.call('ZCARD', hold)
  if redis.call('ZSCORE', hold, id) then holds = holds - 1 end
  local n = tonumber(ARGV[a]); a = a + 1
  local full = false
  for _ = 1, n do
    if not full and holds + redis.call('ZCOUNT', imp, ARGV[a], '+inf') >= tonumber(ARGV[a + 1]) then full = true end
    a = a + 2
  end
  if full then fullScopes[#fullScopes + 1] = s end
end
if #fullScopes > 0 then return fullScopes end
local ttl = tonumber(ARGV[4])
for s = 1, #KEYS / 2 do
  local hold = KEYS[2 * s]
  redis.call('ZADD', hold, ARGV[3], id)
  if redis.call('PTTL', hold) < ttl then redis.call('PEXPIRE', hold, ttl) end
end
return fullScopes`,
  },
  // ARGV: holdId. Drops the hold in every scope.
  outbidFreqRelease: {
    lua: `for s = 1, #KEYS / 2 do redis.call('ZREM', KEYS[2 * s], ARGV[1]) end
return 0`,
  },
  // ARGV: now, impressionId, then per scope: the trim bound (impressions at or before it are out
  // of every window), the key TTL (the longest window), then the caps. Returns an outcome per scope.
  outbidFreqRecord: {
    lua: `local now, id = ARGV[1], ARGV[2]
local a = 3
local out = {}
for s = 1, #KEYS / 2 do
  local imp, hold = KEYS[2 * s - 1], KEYS[2 * s]
  local trim, ttl, n = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2])
  a = a + 3
  if redis.call('ZSCORE', imp, id) then
    out[s] = 'duplicate'
    a = a + 2 * n
  else
    redis.call('ZREM', hold, id)
    redis.call('ZREMRANGEBYSCORE', hold, '-inf', now)
    redis.call('ZREMRANGEBYSCORE', imp, '-inf', trim)
    local holds = redis.call('ZCARD', hold)
    local full = false
    for _ = 1, n do
      if not full and holds + redis.call('ZCOUNT', imp, ARGV[a], '+inf') >= tonumber(ARGV[a + 1]) then full = true end
      a = a + 2
    end
    if full then
      out[s] = 'capped'
    else
      redis.call('ZADD', imp, now, id)
      redis.call('PEXPIRE', imp, ttl)
      out[s] = 'recorded'
    end
  end
end
return out`,
  },
} as const;

/** The commands ioredis defines from `SCRIPTS`; without `numberOfKeys`, the first argument is the key count. */
interface ScriptCommands {
  outbidFreqCheck(numKeys: number, ...keysThenArgs: (string | number)[]): Promise<number[]>;
  outbidFreqReserve(numKeys: number, ...keysThenArgs: (string | number)[]): Promise<number[]>;
  outbidFreqRelease(numKeys: number, ...keysThenArgs: (string | number)[]): Promise<number>;
  outbidFreqRecord(numKeys: number, ...keysThenArgs: (string | number)[]): Promise<FrequencyRecordOutcome[]>;
}

/**
 * Frequency caps on Redis. Per user and scope, a sorted set of impression ids scored by time
 * (`redisKeys.frequencyImpressions`) and one of holds scored by expiry (`redisKeys.frequencyHolds`).
 *
 * Why sorted sets rather than per-window bucketed counters (INCR + EXPIRE): buckets are
 * approximate — fixed windows let 2 × max through around a bucket edge, and sliding estimates
 * interpolate — and the issue asks for exact caps. A sorted set gives exact sliding windows, and
 * since `record` never counts past a cap, it holds at most the longest window's `max` members
 * (caps are small numbers), trimmed on every write and expired by TTL when the user goes quiet.
 *
 * Every operation is one Lua script over all of a request's scopes, hence atomic and one round trip.
 * All keys of a user share the `{userKeyHash}` hash tag, so the scripts also run on Redis Cluster.
 * Windows use the callers' clocks (`nowMs`), not Redis TIME, so the embedded and Redis stores
 * agree under an injected clock; bidder hosts must be NTP-synced (a skew of s ms moves window
 * edges by s ms, but never lets a window exceed its max). Commands fail fast while Redis is down
 * (RedisConnection): callers treat STORE_UNAVAILABLE on `check` as "capped" (fail closed).
 */
export class RedisFrequencyStore implements FrequencyStore {
  readonly #conn: RedisConnection<RedisClient & ScriptCommands>;
  readonly #prefix: string;

  constructor(options: RedisFrequencyStoreOptions) {
    this.#prefix = options.prefix ?? '';
    this.#conn = new RedisConnection<RedisClient & ScriptCommands>({
      url: options.url,
      ...(options.cluster !== undefined && { cluster: options.cluster }),
      label: 'frequency store',
      onError: options.onError ?? defaultStoreErrorHandler,
      scripts: SCRIPTS,
      ...(options.connectTimeoutMs !== undefined && { connectTimeoutMs: options.connectTimeoutMs }),
    });
  }

  async check(
    userKey: string,
    scopes: readonly FrequencyScope[],
    nowMs: number,
  ): Promise<ReadonlySet<string>> {
    checkFrequencyArgs(userKey, scopes, nowMs);
    await this.#conn.usable(closedError);
    const capped = scopes.filter((s) => s.caps.length > 0);
    if (capped.length === 0) return NONE_CAPPED;
    const keys = this.#keys(userKey, capped);
    const args: (string | number)[] = [`(${nowMs}`];
    for (const scope of capped) pushCaps(args, scope, nowMs);
    const full = await this.#conn.command(() =>
      this.#conn.client.outbidFreqCheck(keys.length, ...keys, ...args),
    );
    const out: string[] = [];
    for (let i = 0; i < capped.length; i++) if (full[i] === 1) out.push(capped[i]!.id);
    return out.length === 0 ? NONE_CAPPED : new Set(out);
  }

  async reserve(
    userKey: string,
    scopes: readonly FrequencyScope[],
    nowMs: number,
    holdId: string,
    ttlMs: number,
  ): Promise<ReadonlySet<string>> {
    checkFrequencyArgs(userKey, scopes, nowMs);
    checkEventId('holdId', holdId);
    checkHoldTtlMs(ttlMs);
    await this.#conn.usable(closedError);
    const capped = scopes.filter((s) => s.caps.length > 0);
    if (capped.length === 0) return NONE_CAPPED;
    const keys = this.#keys(userKey, capped);
    const args: (string | number)[] = [String(nowMs), holdId, String(nowMs + ttlMs), String(ttlMs)];
    for (const scope of capped) pushCaps(args, scope, nowMs);
    const full = await this.#conn.command(() =>
      this.#conn.client.outbidFreqReserve(keys.length, ...keys, ...args),
    );
    if (full.length === 0) return NONE_CAPPED;
    return new Set(full.map((i) => capped[i - 1]!.id));
  }

  async release(userKey: string, scopes: readonly FrequencyScope[], holdId: string): Promise<void> {
    checkEventId('holdId', holdId);
    await this.#conn.usable(closedError);
    const capped = scopes.filter((s) => s.caps.length > 0);
    if (capped.length === 0) return;
    const keys = this.#keys(userKey, capped);
    await this.#conn.command(() => this.#conn.client.outbidFreqRelease(keys.length, ...keys, holdId));
  }

  async record(
    userKey: string,
    scopes: readonly FrequencyScope[],
    nowMs: number,
    impressionId: string,
  ): Promise<readonly FrequencyRecordOutcome[]> {
    checkFrequencyArgs(userKey, scopes, nowMs);
    checkEventId('impressionId', impressionId);
    await this.#conn.usable(closedError);
    const capped = scopes.filter((s) => s.caps.length > 0);
    if (capped.length === 0) return scopes.map(() => 'recorded');
    const keys = this.#keys(userKey, capped);
    const args: (string | number)[] = [String(nowMs), impressionId];
    for (const scope of capped) {
      const longestMs = longestWindowMs(scope);
      args.push(String(nowMs - longestMs), String(longestMs));
      pushCaps(args, scope, nowMs);
    }
    const outcomes = await this.#conn.command(() =>
      this.#conn.client.outbidFreqRecord(keys.length, ...keys, ...args),
    );
    let next = 0;
    return scopes.map((s) => (s.caps.length === 0 ? 'recorded' : outcomes[next++]!));
  }

  ready(): Promise<void> {
    return this.#conn.ready(closedError);
  }

  close(): Promise<void> {
    return this.#conn.close();
  }

  #keys(userKey: string, scopes: readonly FrequencyScope[]): string[] {
    const keys: string[] = [];
    for (const scope of scopes) {
      keys.push(
        redisKeys.frequencyImpressions(this.#prefix, userKey, scope.id),
        redisKeys.frequencyHolds(this.#prefix, userKey, scope.id),
      );
    }
    return keys;
  }
}

function pushCaps(args: (string | number)[], scope: FrequencyScope, nowMs: number): void {
  args.push(scope.caps.length);
  for (const cap of scope.caps) args.push(`(${nowMs - cap.windowSec * 1000}`, cap.max);
}
