import { redisKeys } from '../keys.ts';
import { BudgetError } from './budget-errors.ts';
import {
  type BudgetSpend,
  type BudgetStore,
  checkBilledTtlMs,
  checkLeaseRequest,
  checkReleaseRequest,
  checkSettleRequest,
  checkSpendArgs,
  DEFAULT_BILLED_TTL_MS,
  type LeaseGrant,
  type LeaseRequest,
  type ReleaseRequest,
  type SettledElsewhere,
  type SettleOutcome,
  type SettleRequest,
} from './budget-store.ts';
import { defaultStoreErrorHandler, StoreError, type StoreErrorHandler } from './errors.ts';
import { messageOf, type RedisClient, RedisConnection } from './redis-connection.ts';

const closedError = () => new StoreError('STORE_CLOSED', 'the budget store is closed');

/** Options of `RedisBudgetStore`. */
export interface RedisBudgetStoreOptions {
  /** `redis://[user:password@]host:port[/db]`; with `cluster`, one or more comma-separated seed nodes. */
  url: string;
  /** Connect to a Redis Cluster through the seed nodes in `url` (REDIS_CLUSTER; default false). */
  cluster?: boolean;
  /** Prepended to every key (REDIS_PREFIX), as for the state store (default ''). */
  prefix?: string;
  /** How long ready() waits for Redis before it rejects (default 5000). */
  connectTimeoutMs?: number;
  /** How long a billed bid id is remembered (default 24 h). */
  billedTtlMs?: number;
  /** Receives connection errors after start (default: stderr). */
  onError?: StoreErrorHandler;
}

/**
 * Shared Lua prologue. Lease expiry uses the server's TIME, not the callers' clocks: expiry decides
 * whose money a slice is, and a bidder host whose clock ran ahead would otherwise reclaim another
 * host's live lease (Redis ≥ 5 replicates scripts by effect, so TIME is allowed before writes).
 * Lua 5.1 prints numbers ≥ 1e14 in exponent form, so amounts are written with `%.0f`.
 * A lease field is `<holder>|<dayKey>` → `<amount>|<expiresAtMs>|<leaseId>`.
 */
const PROLOGUE = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function fmt(n) return string.format('%.0f', n) end
local function parse(v)
  local a, e, i = string.match(v, '^(%d+)|(%d+)|(%d+)$')
  if not a then error({err = 'BUDGET_BAD_STATE lease value ' .. v}) end
  return tonumber(a), tonumber(e), tonumber(i)
end
`;

/** Inbox entries handed over per lease call at most, so one reply stays small; the rest wait for the next call. */
const INBOX_BATCH = 1000;

const SCRIPTS = {
  // KEYS: leases, budget, inbox(holder). ARGV: holder, dayKey, want, total, daily, ttlMs.
  // Returns {granted, leaseId, held, remaining, inbox entries}.
  outbidBudgetLease: {
    numberOfKeys: 3,
    lua: `${PROLOGUE}
local holder, day = ARGV[1], ARGV[2]
local want, total, daily, ttl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local mineField = holder .. '|' .. day
local fields = redis.call('HGETALL', KEYS[1])
local outTotal, outDay = 0, 0
local mineAmount, mineId = nil, 0
for i = 1, #fields, 2 do
  local f = fields[i]
  local a, e, id = parse(fields[i + 1])
  local h, d = string.match(f, '^([^|]*)|(.*)$')
  if e <= now or (h == holder and d ~= day and a == 0) then
    redis.call('HDEL', KEYS[1], f)
  else
    if f == mineField then
      mineAmount, mineId = a, id
    elseif h == holder then
      redis.call('HSET', KEYS[1], f, fmt(a) .. '|' .. fmt(now + ttl) .. '|' .. fmt(id))
    end
    outTotal = outTotal + a
    if d == day then outDay = outDay + a end
  end
end
local spent = tonumber(redis.call('HGET', KEYS[2], 'spent') or '0')
local spentDay = tonumber(redis.call('HGET', KEYS[2], 'spent:' .. day) or '0')
local remaining = math.min(total - spent - outTotal, daily - spentDay - outDay)
local granted = math.max(0, math.min(want, remaining))
local held = 0
if mineAmount then
  held = mineAmount + granted
elseif granted > 0 then
  mineId = redis.call('HINCRBY', KEYS[2], 'seq', 1)
  held = granted
end
if mineId ~= 0 then
  redis.call('HSET', KEYS[1], mineField, fmt(held) .. '|' .. fmt(now + ttl) .. '|' .. fmt(mineId))
end
local inbox = redis.call('LRANGE', KEYS[3], 0, ${INBOX_BATCH - 1})
if #inbox > 0 then redis.call('LTRIM', KEYS[3], ${INBOX_BATCH}, -1) end
return {granted, mineId, held, math.max(0, remaining - granted), inbox}`,
  },
  // KEYS: leases, budget, billed(bidId), inbox(holder). ARGV: holder, dayKey, leaseId, cost,
  // billedTtlMs, notify (1/0), reservationId. Returns 1 recorded, 0 duplicate. The billed marker,
  // the spend and the lease change happen together or not at all, so a retry after a lost reply
  // can only answer 'duplicate'.
  outbidBudgetSettle: {
    numberOfKeys: 4,
    lua: `${PROLOGUE}
if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[5]) then return 0 end
redis.call('HINCRBY', KEYS[2], 'spent', ARGV[4])
redis.call('HINCRBY', KEYS[2], 'spent:' .. ARGV[2], ARGV[4])
local leaseId = tonumber(ARGV[3])
if leaseId == 0 then return 1 end
local f = ARGV[1] .. '|' .. ARGV[2]
local v = redis.call('HGET', KEYS[1], f)
if not v then return 1 end
local a, e, id = parse(v)
if e <= now then
  redis.call('HDEL', KEYS[1], f)
  return 1
end
if id ~= leaseId then return 1 end
local cost = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], f, fmt(a - math.min(cost, a)) .. '|' .. fmt(e) .. '|' .. fmt(id))
if ARGV[6] == '1' then
  redis.call('RPUSH', KEYS[4], ARGV[7] .. '|' .. ARGV[4] .. '|' .. ARGV[2] .. '|' .. ARGV[3])
  redis.call('PEXPIREAT', KEYS[4], e)
end
return 1`,
  },
  // KEYS: leases. ARGV: holder, dayKey, leaseId, micros. Returns the micros released.
  outbidBudgetRelease: {
    numberOfKeys: 1,
    lua: `${PROLOGUE}
local f = ARGV[1] .. '|' .. ARGV[2]
local v = redis.call('HGET', KEYS[1], f)
if not v then return 0 end
local a, e, id = parse(v)
if e <= now then
  redis.call('HDEL', KEYS[1], f)
  return 0
end
if id ~= tonumber(ARGV[3]) then return 0 end
local take = math.min(tonumber(ARGV[4]), a)
redis.call('HSET', KEYS[1], f, fmt(a - take) .. '|' .. fmt(e) .. '|' .. fmt(id))
return take`,
  },
  // KEYS: leases, budget. ARGV: dayKey. Returns {spent, spentDay, leased, dayLeased}; live leases only.
  outbidBudgetSpend: {
    numberOfKeys: 2,
    lua: `${PROLOGUE}
local fields = redis.call('HGETALL', KEYS[1])
local leased, dayLeased = 0, 0
local suffix = '|' .. ARGV[1]
for i = 1, #fields, 2 do
  local a, e = parse(fields[i + 1])
  if e > now then
    leased = leased + a
    if string.sub(fields[i], -#suffix) == suffix then dayLeased = dayLeased + a end
  end
end
return {tonumber(redis.call('HGET', KEYS[2], 'spent') or '0'), tonumber(redis.call('HGET', KEYS[2], 'spent:' .. ARGV[1]) or '0'), leased, dayLeased}`,
  },
} as const;

/** The commands ioredis defines from `SCRIPTS` (EVALSHA, reloaded on NOSCRIPT after a Redis restart). */
interface ScriptCommands {
  outbidBudgetLease(
    leases: string,
    budget: string,
    inbox: string,
    holder: string,
    dayKey: string,
    want: string,
    total: string,
    daily: string,
    ttlMs: string,
  ): Promise<[number, number, number, number, string[]]>;
  outbidBudgetSettle(
    leases: string,
    budget: string,
    billed: string,
    inbox: string,
    holder: string,
    dayKey: string,
    leaseId: string,
    cost: string,
    billedTtlMs: string,
    notify: string,
    reservationId: string,
  ): Promise<number>;
  outbidBudgetRelease(
    leases: string,
    holder: string,
    dayKey: string,
    leaseId: string,
    micros: string,
  ): Promise<number>;
  outbidBudgetSpend(
    leases: string,
    budget: string,
    dayKey: string,
  ): Promise<[number, number, number, number]>;
}

/**
 * The budget store on Redis: per campaign a hash of counters (`redisKeys.budget`), a hash of leases
 * (`redisKeys.budgetLeases`), one inbox list per holder and one billed marker per bid, all under the
 * `{c:<campaignId>}` hash tag so each operation is one Lua script in one Cluster slot — atomic and
 * one round trip. Commands fail fast while Redis is down (RedisConnection): the budget gate turns
 * that into "store down" and fails closed once its lease runs out.
 */
export class RedisBudgetStore implements BudgetStore {
  readonly #conn: RedisConnection<RedisClient & ScriptCommands>;
  readonly #prefix: string;
  readonly #billedTtlMs: number;

  constructor(options: RedisBudgetStoreOptions) {
    this.#prefix = options.prefix ?? '';
    this.#billedTtlMs = options.billedTtlMs ?? DEFAULT_BILLED_TTL_MS;
    checkBilledTtlMs(this.#billedTtlMs);
    this.#conn = new RedisConnection<RedisClient & ScriptCommands>({
      url: options.url,
      ...(options.cluster !== undefined && { cluster: options.cluster }),
      label: 'budget store',
      onError: options.onError ?? defaultStoreErrorHandler,
      scripts: SCRIPTS,
      ...(options.connectTimeoutMs !== undefined && { connectTimeoutMs: options.connectTimeoutMs }),
    });
  }

  async lease(r: LeaseRequest): Promise<LeaseGrant> {
    checkLeaseRequest(r);
    await this.#conn.usable(closedError);
    const p = this.#prefix;
    const [granted, leaseId, held, remaining, inbox] = await this.#run(() =>
      this.#conn.client.outbidBudgetLease(
        redisKeys.budgetLeases(p, r.campaignId),
        redisKeys.budget(p, r.campaignId),
        redisKeys.budgetInbox(p, r.campaignId, r.holder),
        r.holder,
        r.limits.dayKey,
        String(r.wantMicros),
        String(r.limits.totalMicros),
        String(r.limits.dailyMicros),
        String(r.ttlMs),
      ),
    );
    return {
      grantedMicros: granted,
      leaseId,
      heldMicros: held,
      remainingMicros: remaining,
      settledElsewhere: inbox.map(parseInboxEntry),
    };
  }

  async settle(r: SettleRequest): Promise<SettleOutcome> {
    checkSettleRequest(r);
    await this.#conn.usable(closedError);
    const p = this.#prefix;
    const recorded = await this.#run(() =>
      this.#conn.client.outbidBudgetSettle(
        redisKeys.budgetLeases(p, r.campaignId),
        redisKeys.budget(p, r.campaignId),
        redisKeys.budgetBilled(p, r.campaignId, r.bidId),
        redisKeys.budgetInbox(p, r.campaignId, r.holder),
        r.holder,
        r.dayKey,
        String(r.leaseId),
        String(r.costMicros),
        String(this.#billedTtlMs),
        r.notifyHolder ? '1' : '0',
        r.reservationId,
      ),
    );
    return recorded === 1 ? 'recorded' : 'duplicate';
  }

  async release(r: ReleaseRequest): Promise<number> {
    checkReleaseRequest(r);
    await this.#conn.usable(closedError);
    return this.#run(() =>
      this.#conn.client.outbidBudgetRelease(
        redisKeys.budgetLeases(this.#prefix, r.campaignId),
        r.holder,
        r.dayKey,
        String(r.leaseId),
        String(r.micros),
      ),
    );
  }

  async spend(campaignId: string, dayKey: string): Promise<BudgetSpend> {
    checkSpendArgs(campaignId, dayKey);
    await this.#conn.usable(closedError);
    const [total, day, leased, dayLeased] = await this.#run(() =>
      this.#conn.client.outbidBudgetSpend(
        redisKeys.budgetLeases(this.#prefix, campaignId),
        redisKeys.budget(this.#prefix, campaignId),
        dayKey,
      ),
    );
    return { totalMicros: total, dayMicros: day, leasedMicros: leased, dayLeasedMicros: dayLeased };
  }

  ready(): Promise<void> {
    return this.#conn.ready(closedError);
  }

  close(): Promise<void> {
    return this.#conn.close();
  }

  /** Runs a script: a corrupt stored value is BUDGET_BAD_STATE, anything else STORE_UNAVAILABLE. */
  async #run<T>(script: () => Promise<T>): Promise<T> {
    try {
      return await this.#conn.command(script);
    } catch (err) {
      const cause = err instanceof StoreError ? err.cause : err;
      if (messageOf(cause).includes('BUDGET_BAD_STATE')) {
        throw new BudgetError('BUDGET_BAD_STATE', messageOf(cause), { cause });
      }
      throw err;
    }
  }
}

/** `reservationId|cost|dayKey|leaseId`, as the settle script writes it. */
function parseInboxEntry(entry: string): SettledElsewhere {
  const [reservationId = '', cost = '', dayKey = '', leaseId = ''] = entry.split('|');
  const costMicros = Number(cost);
  const lease = Number(leaseId);
  if (reservationId === '' || !Number.isSafeInteger(costMicros) || !Number.isSafeInteger(lease)) {
    throw new BudgetError('BUDGET_BAD_STATE', `budget inbox entry ${JSON.stringify(entry)}`);
  }
  return { reservationId, costMicros, dayKey, leaseId: lease };
}
