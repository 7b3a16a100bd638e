import type { CampaignData, EntityByKind, EntityKind } from '../campaign.ts';
import { redisKeys } from '../keys.ts';
import { entityProblems, isEntity } from '../validate-campaign-data.ts';
import { byId, deepFreeze, ENTITY_KINDS, entitiesOf } from './entity-data.ts';
import { defaultStoreErrorHandler, StoreError, type StoreErrorHandler } from './errors.ts';
import { messageOf, type RedisClient, RedisConnection } from './redis-connection.ts';
import type { StateStore } from './state-store.ts';
import { VersionNotifier } from './version-notifier.ts';

const closedError = () => new StoreError('STORE_CLOSED', 'the state store is closed');

/** Options of `RedisStateStore`. */
export interface RedisStateStoreOptions {
  /** `redis://[user:password@]host:port[/db]`; with `cluster`, one or more comma-separated seed nodes. */
  url: string;
  /** Connect to a Redis Cluster through the seed nodes in `url` (REDIS_CLUSTER; default false). */
  cluster?: boolean;
  /** Prepended to every key and channel, so several deployments or tests can share one Redis (default ''). */
  prefix?: string;
  /** How long ready() waits for Redis before it rejects (default 5000). */
  connectTimeoutMs?: number;
  /** Receives skipped bad rows, connection errors and throwing subscribers (default: stderr). */
  onError?: StoreErrorHandler;
}

/**
 * Writes are Lua scripts so the entity change, the version INCR and the PUBLISH of the new version
 * happen atomically, in one round trip (MULTI cannot publish a value it computes). All keys share
 * the `{outbid}` hash tag, so the scripts also run on Redis Cluster.
 */
const SCRIPTS = {
  outbidPut: {
    numberOfKeys: 2,
    lua: `redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
local v = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[1], v)
return v`,
  },
  outbidDelete: {
    numberOfKeys: 2,
    lua: `if redis.call('HDEL', KEYS[1], ARGV[2]) == 0 then
  return tonumber(redis.call('GET', KEYS[2]) or '0')
end
local v = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[1], v)
return v`,
  },
  // KEYS: one hash per entity kind, then the version. ARGV: channel, one count per kind, then
  // id/json pairs. One HSET per field rather than unpack(): unpack() fails past ~8000 arguments.
  outbidReplaceAll: {
    numberOfKeys: ENTITY_KINDS.length + 1,
    lua: `local n = #KEYS - 1
for k = 1, n do redis.call('DEL', KEYS[k]) end
local arg = n + 2
for k = 1, n do
  for _ = 1, tonumber(ARGV[1 + k]) do
    redis.call('HSET', KEYS[k], ARGV[arg], ARGV[arg + 1])
    arg = arg + 2
  end
end
local v = redis.call('INCR', KEYS[n + 1])
redis.call('PUBLISH', ARGV[1], v)
return v`,
  },
} as const;

/** The commands ioredis defines from `SCRIPTS` (it runs them with EVALSHA, loading them on NOSCRIPT). */
interface ScriptCommands {
  outbidPut(
    entitiesKey: string,
    versionKey: string,
    channel: string,
    id: string,
    json: string,
  ): Promise<number>;
  outbidDelete(entitiesKey: string, versionKey: string, channel: string, id: string): Promise<number>;
  outbidReplaceAll(...keysThenArgs: string[]): Promise<number>;
}

/**
 * The state store on Redis: one hash (id → JSON) per entity kind, a version counter bumped by
 * every write, and a pub/sub channel announcing each new version to every process. Keys come from
 * `redisKeys` only (the contract with the optimizer). It owns its two connections: commands, and a
 * subscriber opened on the first subscribe().
 */
export class RedisStateStore implements StateStore {
  readonly #conn: RedisConnection<RedisClient & ScriptCommands>;
  readonly #onError: StoreErrorHandler;
  readonly #notifier: VersionNotifier;
  readonly #entityKeys: Record<EntityKind, string>;
  readonly #versionKey: string;
  readonly #channel: string;
  #subscriber: RedisClient | undefined;
  /** Settles when the subscriber's first SUBSCRIBE is acknowledged. */
  #subscribed: Promise<void> | undefined;

  constructor(options: RedisStateStoreOptions) {
    const prefix = options.prefix ?? '';
    this.#onError = options.onError ?? defaultStoreErrorHandler;
    this.#notifier = new VersionNotifier(this.#onError);
    this.#entityKeys = Object.fromEntries(
      ENTITY_KINDS.map((kind) => [kind, redisKeys.entities(prefix, kind)]),
    ) as Record<EntityKind, string>;
    this.#versionKey = redisKeys.version(prefix);
    this.#channel = redisKeys.changes(prefix);
    this.#conn = new RedisConnection<RedisClient & ScriptCommands>({
      url: options.url,
      ...(options.cluster !== undefined && { cluster: options.cluster }),
      label: 'commands',
      onError: this.#onError,
      scripts: SCRIPTS,
      afterConnect: () => {
        if (this.#notifier.size > 0) this.#startSubscriber();
      },
      ...(options.connectTimeoutMs !== undefined && { connectTimeoutMs: options.connectTimeoutMs }),
    });
    this.#conn.client.on('ready', () => {
      // Back after an outage: pub/sub messages sent meanwhile are lost, so re-read the version.
      if (this.#conn.connected && this.#subscriber !== undefined) void this.#catchUp();
    });
  }

  ready(): Promise<void> {
    return this.#conn
      .ready(closedError)
      .then(() => (this.#notifier.size > 0 ? this.#awaitSubscription() : undefined));
  }

  async load(): Promise<{ version: number; data: CampaignData }> {
    await this.#conn.usable(closedError);
    const multi = this.#conn.client.multi();
    for (const kind of ENTITY_KINDS) multi.hgetall(this.#entityKeys[kind]);
    multi.get(this.#versionKey);
    // MULTI, so the hashes and the version come from one instant: no write lands in between.
    const replies = await this.#conn.command(() => multi.exec());
    if (replies === null) throw new StoreError('STORE_UNAVAILABLE', 'Redis aborted the load transaction');
    const results = replies.map(([err, value]) => {
      if (err !== null)
        throw new StoreError('STORE_UNAVAILABLE', `Redis load failed: ${err.message}`, { cause: err });
      return value;
    });
    const hashes = Object.fromEntries(ENTITY_KINDS.map((kind, i) => [kind, results[i]])) as Partial<
      Record<EntityKind, Record<string, string>>
    >;
    const data: CampaignData = {
      advertisers: this.#parseHash('advertiser', hashes.advertiser),
      campaigns: this.#parseHash('campaign', hashes.campaign),
      lineItems: this.#parseHash('lineItem', hashes.lineItem),
      creatives: this.#parseHash('creative', hashes.creative),
      scoreTables: this.#parseHash('scoreTable', hashes.scoreTable),
      allocations: this.#parseHash('allocation', hashes.allocation),
    };
    return Object.freeze({ version: Number(results[ENTITY_KINDS.length] ?? 0), data: Object.freeze(data) });
  }

  async get<K extends EntityKind>(kind: K, id: string): Promise<EntityByKind[K] | undefined> {
    await this.#conn.usable(closedError);
    const raw = await this.#conn.command(() => this.#conn.client.hget(this.#entityKeys[kind], id));
    return raw === null ? undefined : this.#parseRow(kind, id, raw);
  }

  async put<K extends EntityKind>(kind: K, entity: EntityByKind[K]): Promise<number> {
    await this.#conn.usable(closedError);
    const json = JSON.stringify(entity);
    const version = await this.#conn.command(() =>
      this.#conn.client.outbidPut(this.#entityKeys[kind], this.#versionKey, this.#channel, entity.id, json),
    );
    return this.#wrote(version);
  }

  async delete(kind: EntityKind, id: string): Promise<number> {
    await this.#conn.usable(closedError);
    const version = await this.#conn.command(() =>
      this.#conn.client.outbidDelete(this.#entityKeys[kind], this.#versionKey, this.#channel, id),
    );
    // Unchanged when the id was missing; the notifier drops versions it has already delivered.
    return this.#wrote(version);
  }

  async replaceAll(data: CampaignData): Promise<number> {
    await this.#conn.usable(closedError);
    const keys = [...ENTITY_KINDS.map((kind) => this.#entityKeys[kind]), this.#versionKey];
    const counts = ENTITY_KINDS.map((kind) => String(entitiesOf(data, kind).length));
    const pairs: string[] = [];
    for (const kind of ENTITY_KINDS) {
      for (const entity of entitiesOf(data, kind)) pairs.push(entity.id, JSON.stringify(entity));
    }
    const version = await this.#conn.command(() =>
      this.#conn.client.outbidReplaceAll(...keys, this.#channel, ...counts, ...pairs),
    );
    return this.#wrote(version);
  }

  async version(): Promise<number> {
    await this.#conn.usable(closedError);
    return this.#conn.command(() => this.#readVersion());
  }

  subscribe(listener: (version: number) => void): () => void {
    const unsubscribe = this.#notifier.add(listener);
    if (this.#conn.connected && !this.#conn.closed) this.#startSubscriber();
    return unsubscribe;
  }

  async close(): Promise<void> {
    await this.#conn.close(this.#subscriber === undefined ? [] : [this.#subscriber]);
  }

  async #readVersion(): Promise<number> {
    return Number((await this.#conn.client.get(this.#versionKey)) ?? 0);
  }

  #wrote(version: number): number {
    // Announced here as well as through pub/sub, so our own subscribers hear of our writes even
    // while the subscriber connection is still starting.
    this.#notifier.notify(version);
    return version;
  }

  #parseHash<K extends EntityKind>(kind: K, hash: Record<string, string> | undefined): EntityByKind[K][] {
    const entities: EntityByKind[K][] = [];
    for (const [id, raw] of Object.entries(hash ?? {})) {
      const entity = this.#parseRow(kind, id, raw);
      if (entity !== undefined) entities.push(entity);
    }
    return entities.sort(byId);
  }

  #parseRow<K extends EntityKind>(kind: K, id: string, raw: string): EntityByKind[K] | undefined {
    const where = `${this.#entityKeys[kind]} field ${JSON.stringify(id)}`;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      this.#badRow(`${where} is not valid JSON (${messageOf(err)})`, err);
      return undefined;
    }
    if (!isEntity(kind, value)) {
      this.#badRow(`${where} is not a valid ${kind}: ${entityProblems(kind, value).join('; ')}`);
      return undefined;
    }
    if (value.id !== id) {
      this.#badRow(`${where} holds ${kind} id ${JSON.stringify(value.id)}`);
      return undefined;
    }
    return deepFreeze(value);
  }

  #badRow(message: string, cause?: unknown): void {
    this.#onError(
      new StoreError('STORE_BAD_ROW', `skipped ${message}`, cause === undefined ? undefined : { cause }),
    );
  }

  #startSubscriber(): void {
    if (this.#subscriber !== undefined) return;
    // Resubscribed by hand on every 'ready' below, so the catch-up read follows the acknowledgement.
    const subscriber = this.#conn.subscriberClient();
    this.#subscriber = subscriber;
    subscriber.on('error', (err: Error) => this.#conn.reportError('subscriber', err));
    subscriber.on('message', (channel: string, message: string) => {
      const version = Number(message);
      if (channel === this.#channel && Number.isSafeInteger(version)) this.#notifier.notify(version);
    });
    let first = true;
    this.#subscribed = new Promise<void>((resolve, reject) => {
      subscriber.on('ready', () => {
        const isFirst = first;
        first = false;
        subscriber.subscribe(this.#channel).then(
          () => (isFirst ? resolve() : this.#catchUp()),
          (err: unknown) => {
            if (isFirst) reject(err);
            else this.#conn.reportError('subscriber', err as Error);
          },
        );
      });
    });
    // Unawaited when nobody calls ready() again; its failure is reported by the 'error' handler.
    this.#subscribed.catch(() => undefined);
    subscriber.connect().catch(() => undefined);
  }

  async #awaitSubscription(): Promise<void> {
    this.#startSubscriber();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#subscribed,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), this.#conn.connectTimeoutMs);
        }),
      ]);
    } catch (err) {
      throw new StoreError(
        'STORE_UNREACHABLE',
        `cannot subscribe to ${this.#channel} on Redis at ${this.#conn.url} within ${this.#conn.connectTimeoutMs} ms: ${messageOf(err)}`,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async #catchUp(): Promise<void> {
    if (this.#conn.closed) return;
    try {
      // reset: a Redis restarted without persistence starts again from version 0.
      this.#notifier.notify(await this.#readVersion(), true);
    } catch (err) {
      // The command connection is still down; its own 'ready' runs the catch-up again.
      this.#conn.reportError('commands', err as Error);
    }
  }
}
