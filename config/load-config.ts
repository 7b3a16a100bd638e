import { Ajv, type ErrorObject } from 'ajv';
import Type, { type Static } from 'typebox';

/**
 * The one place that reads `process.env`. Every variable is validated at start and every problem
 * is reported at once (prebid-server's config validation does the same), so an operator fixes a
 * bad deployment in one round.
 */

const ExchangeSchema = Type.Object(
  {
    /** `204` (default) answers a no-bid with an empty 204; `nbr` answers 200 `{id, nbr}`. */
    noBidResponse: Type.Optional(Type.Enum(['204', 'nbr'])),
    /** Overrides NETWORK_ALLOWANCE_MS for this exchange. */
    networkAllowanceMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  },
  { additionalProperties: false },
);

/** Per-exchange settings, keyed by the `exchange` query parameter of the bid endpoint. */
export type ExchangeConfig = Static<typeof ExchangeSchema>;

const EnvSchema = Type.Object({
  HOST: Type.String({ default: '0.0.0.0', minLength: 1 }),
  PORT: Type.Integer({ default: 8080, minimum: 0, maximum: 65535 }),
  PUBLIC_URL: Type.Optional(Type.String()),
  DATA_DIR: Type.String({ default: './data', minLength: 1 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  REDIS_PREFIX: Type.String({ default: '' }),
  REDIS_CLUSTER: Type.Boolean({ default: false }),
  OUTBID_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  SEAT_ID: Type.String({ default: 'outbid', minLength: 1 }),
  ACCOUNT_CURRENCY: Type.String({ default: 'USD', pattern: '^[A-Z]{3}$' }),
  CURRENCY_RATES: Type.String({ default: '{}' }),
  EXCHANGES: Type.String({ default: '{}' }),
  BODY_LIMIT_BYTES: Type.Integer({ default: 262_144, minimum: 1024, maximum: 16_777_216 }),
  MAX_JSON_DEPTH: Type.Integer({ default: 64, minimum: 8, maximum: 1024 }),
  DEFAULT_TMAX_MS: Type.Integer({ default: 200, minimum: 10, maximum: 10_000 }),
  NETWORK_ALLOWANCE_MS: Type.Integer({ default: 20, minimum: 0, maximum: 10_000 }),
  NOTICE_DEDUP_TTL_SEC: Type.Integer({ default: 86_400, minimum: 60 }),
  NOBID_SAMPLE_RATE: Type.Number({ default: 0.01, minimum: 0, maximum: 1 }),
  DEMO_DATA: Type.String({ default: 'config/demo-data.json' }),
  SEED_DEMO: Type.Boolean({ default: true }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100, maximum: 600_000 }),
  WORKERS: Type.Integer({ default: 0, minimum: 0, maximum: 64 }),
  WORKER_TASK_TIMEOUT_MS: Type.Integer({ default: 1000, minimum: 10, maximum: 60_000 }),
  PROFILE_SALT: Type.String({ default: 'outbid-profile-salt', minLength: 16, maxLength: 256 }),
  PROFILE_TTL_SEC: Type.Integer({ default: 2_592_000, minimum: 60, maximum: 31_536_000 }),
  PROFILE_TIMEOUT_MS: Type.Integer({ default: 10, minimum: 1, maximum: 1000 }),
  OUTBID_ADMIN_KEY: Type.Optional(Type.String({ minLength: 24 })),
  BID_EXPIRY_SEC: Type.Integer({ default: 60, minimum: 1, maximum: 3600 }),
  BUDGET_LEASE_TTL_MS: Type.Integer({ default: 30_000, minimum: 2_000, maximum: 3_600_000 }),
  BUDGET_STORE_DEADLINE_MS: Type.Integer({ default: 250, minimum: 1, maximum: 60_000 }),
  FREQUENCY_TIMEOUT_MS: Type.Integer({ default: 10, minimum: 1, maximum: 1000 }),
  FREQUENCY_UNKNOWN_USERS: Type.Enum(['block', 'allow'], { default: 'block' }),
  PACING_CURVE: Type.Enum(['uniform', 'traffic'], { default: 'uniform' }),
  INSTANCE_ID: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' })),
  EVENT_SINK: Type.Enum(['clickhouse', 'memory'], { default: 'clickhouse' }),
  CLICKHOUSE_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  CLICKHOUSE_USER: Type.String({ default: 'default', minLength: 1 }),
  CLICKHOUSE_PASSWORD: Type.String({ default: '' }),
  CLICKHOUSE_DATABASE: Type.String({ default: 'outbid', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
  ROLLUP_REFRESH_SEC: Type.Integer({ default: 60, minimum: 0, maximum: 86_400 }),
  OPTIMIZER_INTERVAL_SEC: Type.Integer({ default: 3600, minimum: 0, maximum: 86_400 }),
  OPTIMIZER_HALF_LIFE_HOURS: Type.Number({ default: 24, exclusiveMinimum: 0, maximum: 8760 }),
  ROLLUP_LOOKBACK_HOURS: Type.Integer({ default: 3, minimum: 1, maximum: 24 * 31 }),
  ATTRIBUTION_CLICK_WINDOW_SEC: Type.Integer({ default: 604_800, minimum: 0, maximum: 90 * 86_400 }),
  ATTRIBUTION_VIEW_WINDOW_SEC: Type.Integer({ default: 86_400, minimum: 0, maximum: 90 * 86_400 }),
  ATTRIBUTION_WINDOWS: Type.String({ default: '{}' }),
});

const WindowSchema = Type.Object(
  {
    clickSec: Type.Optional(Type.Integer({ minimum: 0, maximum: 90 * 86_400 })),
    viewSec: Type.Optional(Type.Integer({ minimum: 0, maximum: 90 * 86_400 })),
  },
  { additionalProperties: false },
);

/** Attribution windows of one campaign, seconds. */
export interface AttributionWindow {
  clickSec: number;
  viewSec: number;
}

/** The validated configuration. */
export interface Config {
  host: string;
  port: number;
  /** Base of the notice URLs put in bids (no trailing slash). */
  publicUrl: string;
  dataDir: string;
  redisUrl: string | undefined;
  redisPrefix: string;
  /** REDIS_URL names the seed nodes of a Redis Cluster (comma-separated); every store uses an ioredis Cluster. */
  redisCluster: boolean;
  /** HMAC key for notice URLs; undefined means "generate one per DATA_DIR" (single-instance use only). */
  secret: string | undefined;
  logLevel: string;
  seatId: string;
  accountCurrency: string;
  /** Account-currency units per one unit of each other currency; the account currency is 1. */
  currencyRates: Readonly<Record<string, number>>;
  exchanges: Readonly<Record<string, ExchangeConfig>>;
  bodyLimitBytes: number;
  maxJsonDepth: number;
  defaultTmaxMs: number;
  networkAllowanceMs: number;
  noticeDedupTtlSec: number;
  demoDataPath: string;
  seedDemo: boolean;
  shutdownTimeoutMs: number;
  /** Scoring worker threads (0: evaluate bids in the main thread). */
  workers: number;
  /** A worker batch not answered in this time is abandoned and its thread replaced. */
  workerTaskTimeoutMs: number;
  /**
   * HMAC key turning user ids into profile-store keys (`profileKeyHash`). The import and every
   * bidder must share it; changing it orphans stored profiles. Set it in production: the default
   * is public, so ids could be tested against the hashes.
   */
  profileSalt: string;
  /** Lifetime of an imported profile unless the import says otherwise (default 30 days). */
  profileTtlSec: number;
  /** Longest wait for a profile lookup on the bid path; past it the bid goes on without the profile. */
  profileTimeoutMs: number;
  /** Bearer key of the admin API (`/api/v1/...`); unset disables it. */
  adminKey: string | undefined;
  /** Seconds a bid waits for its billing (`bid.exp`; `imp.exp` when shorter); its budget reservation lasts as long. */
  bidExpirySec: number;
  /** Life of a budget lease in the store; a crashed instance's unspent slice returns after it. */
  budgetLeaseTtlMs: number;
  /** A budget-store call slower than this counts as down (fail closed once the lease runs out). */
  budgetStoreDeadlineMs: number;
  /** Longest wait for the frequency store on the bid path; past it capped line items do not bid. */
  frequencyTimeoutMs: number;
  /** Requests without a user id: `block` keeps frequency-capped line items out, `allow` lets them bid uncounted. */
  frequencyUnknownUsers: 'block' | 'allow';
  /** Target curve of even pacing: flat, or shaped by the traffic seen per local hour. */
  pacingCurve: 'uniform' | 'traffic';
  /** This process's name in budget leases (default host-pid-start); unique per running instance. */
  instanceId: string | undefined;
  /** Where `outbid serve` sends events: ClickHouse (embedded or CLICKHOUSE_URL) or memory only. */
  eventSink: 'clickhouse' | 'memory';
  /** ClickHouse server (http(s)://host:8123); undefined means the embedded engine under DATA_DIR/clickhouse. */
  clickhouseUrl: string | undefined;
  clickhouseUser: string;
  clickhousePassword: string;
  clickhouseDatabase: string;
  /** Period of the attribution + exact hourly rollup refresh inside serve; 0 disables it. */
  rollupRefreshSec: number;
  /** Hours back each refresh recomputes (late events and conversions land in them). */
  rollupLookbackHours: number;
  /** Default attribution windows and per-campaign overrides. */
  attribution: { defaults: AttributionWindow; campaigns: Readonly<Record<string, AttributionWindow>> };
  /** Seconds between optimizer cycles inside serve (0: off; then run `outbid optimize` elsewhere). */
  optimizerIntervalSec: number;
  /** Half-life of the optimizer's statistics, hours. */
  optimizerHalfLifeHours: number;
  /** Share of no-bids recorded as events (with their reason) for the `nobid_reasons` report. */
  nobidSampleRate: number;
}

/** Thrown by `loadConfig` with every problem found. */
export class ConfigError extends Error {
  readonly code = 'CFG_INVALID';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Variables whose values never appear in an error message. */
const SECRETS: ReadonlySet<string> = new Set([
  'OUTBID_SECRET',
  'PROFILE_SALT',
  'OUTBID_ADMIN_KEY',
  'CLICKHOUSE_PASSWORD',
]);

const ajv = new Ajv({ coerceTypes: true, allErrors: true, useDefaults: true, strict: false });
const validateEnv = ajv.compile<Static<typeof EnvSchema>>(EnvSchema as object);
const validateExchange = ajv.compile<ExchangeConfig>(ExchangeSchema as object);
const validateWindow = ajv.compile<Static<typeof WindowSchema>>(WindowSchema as object);

function describe(e: ErrorObject): string {
  return e.keyword === 'enum'
    ? `must be one of ${(e.params.allowedValues as string[]).join(', ')}`
    : String(e.message);
}

function parseJson(name: string, text: string, problems: string[]): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    problems.push(`${name}: not valid JSON (${(err as Error).message})`);
    return undefined;
  }
}

/** A Redis URL without its password, for messages. */
function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '';
    return u.toString();
  } catch {
    return JSON.stringify(url);
  }
}

/** REDIS_CLUSTER and the seed list it reads from REDIS_URL (README "Redis Cluster"). */
function redisClusterProblems(e: Static<typeof EnvSchema>, problems: string[]): void {
  const urls = (e.REDIS_URL ?? '').split(',').map((u) => u.trim());
  if (e.REDIS_CLUSTER !== true) {
    if (urls.length > 1)
      problems.push('REDIS_URL: a comma-separated list of seed nodes needs REDIS_CLUSTER=true');
    return;
  }
  if (e.REDIS_URL === undefined) {
    problems.push('REDIS_CLUSTER: needs REDIS_URL, one or more comma-separated seed nodes redis://host:port');
  }
  const schemes = new Set<string>();
  for (const url of e.REDIS_URL === undefined ? [] : urls) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      problems.push(`REDIS_URL: seed ${redactRedisUrl(url)} is not a URL`);
      continue;
    }
    schemes.add(u.protocol);
    if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
      problems.push(`REDIS_URL: seed ${redactRedisUrl(url)} must start with redis:// or rediss://`);
    } else if (u.hostname === '') problems.push(`REDIS_URL: seed ${redactRedisUrl(url)} has no host`);
    else if (!['', '/', '/0'].includes(u.pathname)) {
      problems.push(
        `REDIS_URL: seed ${redactRedisUrl(url)} names a database; a Redis Cluster has database 0 only`,
      );
    }
  }
  if (schemes.size > 1) problems.push('REDIS_URL: seeds mix redis:// and rediss://');
  if (/[{}]/.test(e.REDIS_PREFIX ?? '')) {
    // Keys carry their own hash tags ({outbid}, {c:<id>}, {<user>}); Redis hashes only the first
    // {…} of a key, so a tag in the prefix would put every key of the deployment in one slot.
    problems.push(
      'REDIS_PREFIX: must not contain { or } with REDIS_CLUSTER=true (it would put every key in one slot)',
    );
  }
}

/** Reads and validates configuration from `env` (default `process.env`); throws ConfigError listing every problem. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const keys = Object.keys(EnvSchema.properties);
  const raw: Record<string, unknown> = {};
  for (const k of keys) {
    const v = env[k];
    if (v !== undefined && v !== '') raw[k] = v;
  }
  const problems: string[] = [];
  if (!validateEnv(raw)) {
    for (const e of validateEnv.errors ?? []) {
      const name = e.instancePath.replace(/^\//, '') || String(e.params.missingProperty ?? '');
      const got = SECRETS.has(name) ? '(hidden)' : JSON.stringify(env[name]);
      problems.push(`${name}: ${describe(e)} (got ${got})`);
    }
  }
  const e = raw as Static<typeof EnvSchema>;

  let publicUrl = `http://localhost:${e.PORT ?? 8080}`;
  if (e.PUBLIC_URL !== undefined) {
    try {
      const u = new URL(e.PUBLIC_URL);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
      publicUrl = e.PUBLIC_URL.replace(/\/+$/, '');
    } catch {
      problems.push(`PUBLIC_URL: must be an absolute http(s) URL (got ${JSON.stringify(e.PUBLIC_URL)})`);
    }
  }

  const accountCurrency = typeof e.ACCOUNT_CURRENCY === 'string' ? e.ACCOUNT_CURRENCY : 'USD';
  const currencyRates: Record<string, number> = { [accountCurrency]: 1 };
  const rates = parseJson('CURRENCY_RATES', String(e.CURRENCY_RATES ?? '{}'), problems);
  if (rates !== undefined) {
    if (typeof rates !== 'object' || rates === null || Array.isArray(rates)) {
      problems.push('CURRENCY_RATES: must be a JSON object like {"EUR":1.08}');
    } else {
      for (const [cur, rate] of Object.entries(rates)) {
        if (!/^[A-Z]{3}$/.test(cur))
          problems.push(`CURRENCY_RATES: ${JSON.stringify(cur)} is not an ISO-4217 code`);
        else if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0) {
          problems.push(`CURRENCY_RATES.${cur}: must be a positive number (account units per 1 ${cur})`);
        } else if (cur !== accountCurrency) currencyRates[cur] = rate;
      }
    }
  }

  const exchanges: Record<string, ExchangeConfig> = {};
  const ex = parseJson('EXCHANGES', String(e.EXCHANGES ?? '{}'), problems);
  if (ex !== undefined) {
    if (typeof ex !== 'object' || ex === null || Array.isArray(ex)) {
      problems.push('EXCHANGES: must be a JSON object like {"ssp-a":{"noBidResponse":"nbr"}}');
    } else {
      for (const [name, value] of Object.entries(ex)) {
        if (validateExchange(value)) exchanges[name] = value;
        else {
          for (const err of validateExchange.errors ?? []) {
            problems.push(`EXCHANGES.${name}${err.instancePath.replaceAll('/', '.')}: ${describe(err)}`);
          }
        }
      }
    }
  }

  const attributionDefaults: AttributionWindow = {
    clickSec: e.ATTRIBUTION_CLICK_WINDOW_SEC ?? 604_800,
    viewSec: e.ATTRIBUTION_VIEW_WINDOW_SEC ?? 86_400,
  };
  const attributionCampaigns: Record<string, AttributionWindow> = {};
  const aw = parseJson('ATTRIBUTION_WINDOWS', String(e.ATTRIBUTION_WINDOWS ?? '{}'), problems);
  if (aw !== undefined) {
    if (typeof aw !== 'object' || aw === null || Array.isArray(aw)) {
      problems.push(
        'ATTRIBUTION_WINDOWS: must be a JSON object like {"camp-1":{"clickSec":86400,"viewSec":3600}}',
      );
    } else {
      for (const [campaign, value] of Object.entries(aw)) {
        if (validateWindow(value)) {
          attributionCampaigns[campaign] = {
            clickSec: value.clickSec ?? attributionDefaults.clickSec,
            viewSec: value.viewSec ?? attributionDefaults.viewSec,
          };
        } else {
          for (const err of validateWindow.errors ?? []) {
            problems.push(
              `ATTRIBUTION_WINDOWS.${campaign}${err.instancePath.replaceAll('/', '.')}: ${describe(err)}`,
            );
          }
        }
      }
    }
  }

  redisClusterProblems(e, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    host: e.HOST,
    port: e.PORT,
    publicUrl,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    redisCluster: e.REDIS_CLUSTER,
    secret: e.OUTBID_SECRET,
    logLevel: e.LOG_LEVEL,
    seatId: e.SEAT_ID,
    accountCurrency,
    currencyRates,
    exchanges,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    maxJsonDepth: e.MAX_JSON_DEPTH,
    defaultTmaxMs: e.DEFAULT_TMAX_MS,
    networkAllowanceMs: e.NETWORK_ALLOWANCE_MS,
    noticeDedupTtlSec: e.NOTICE_DEDUP_TTL_SEC,
    nobidSampleRate: e.NOBID_SAMPLE_RATE,
    demoDataPath: e.DEMO_DATA,
    seedDemo: e.SEED_DEMO,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    workers: e.WORKERS,
    workerTaskTimeoutMs: e.WORKER_TASK_TIMEOUT_MS,
    profileSalt: e.PROFILE_SALT,
    profileTtlSec: e.PROFILE_TTL_SEC,
    profileTimeoutMs: e.PROFILE_TIMEOUT_MS,
    adminKey: e.OUTBID_ADMIN_KEY,
    bidExpirySec: e.BID_EXPIRY_SEC,
    budgetLeaseTtlMs: e.BUDGET_LEASE_TTL_MS,
    budgetStoreDeadlineMs: e.BUDGET_STORE_DEADLINE_MS,
    frequencyTimeoutMs: e.FREQUENCY_TIMEOUT_MS,
    frequencyUnknownUsers: e.FREQUENCY_UNKNOWN_USERS as 'block' | 'allow',
    pacingCurve: e.PACING_CURVE as 'uniform' | 'traffic',
    instanceId: e.INSTANCE_ID,
    eventSink: e.EVENT_SINK as 'clickhouse' | 'memory',
    clickhouseUrl: e.CLICKHOUSE_URL,
    clickhouseUser: e.CLICKHOUSE_USER,
    clickhousePassword: e.CLICKHOUSE_PASSWORD,
    clickhouseDatabase: e.CLICKHOUSE_DATABASE,
    rollupRefreshSec: e.ROLLUP_REFRESH_SEC,
    optimizerIntervalSec: e.OPTIMIZER_INTERVAL_SEC,
    optimizerHalfLifeHours: e.OPTIMIZER_HALF_LIFE_HOURS,
    rollupLookbackHours: e.ROLLUP_LOOKBACK_HOURS,
    attribution: { defaults: attributionDefaults, campaigns: attributionCampaigns },
  };
}
