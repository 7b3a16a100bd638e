import { Cluster } from 'ioredis';
import { Compile } from 'typebox/compile';
import { redisKeys } from '../keys.ts';
import { type ProfileSegments, ProfileSegmentsSchema } from '../scoring.ts';
import { deepFreeze } from './entity-data.ts';
import { defaultStoreErrorHandler, StoreError, type StoreErrorHandler } from './errors.ts';
import { checkTtlSec, type ProfileEntry, type ProfileStore } from './profile-store.ts';
import { keySlot, messageOf, RedisConnection } from './redis-connection.ts';

const closedError = () => new StoreError('STORE_CLOSED', 'the profile store is closed');

/** Options of `RedisProfileStore`. */
export interface RedisProfileStoreOptions {
  /** `redis://[user:password@]host:port[/db]`; with `cluster`, one or more comma-separated seed nodes. */
  url: string;
  /** Connect to a Redis Cluster through the seed nodes in `url` (REDIS_CLUSTER; default false). */
  cluster?: boolean;
  /** Prepended to every key (REDIS_PREFIX), as for the state store (default ''). */
  prefix?: string;
  /** How long ready() waits for Redis before it rejects (default 5000). */
  connectTimeoutMs?: number;
  /** Receives skipped bad values and connection errors after start (default: stderr). */
  onError?: StoreErrorHandler;
}

const checkSegments = Compile(ProfileSegmentsSchema);

/**
 * Profiles on Redis: one string key per profile (`redisKeys.profile`), holding the segments as
 * JSON, with EXPIRE set by the same SET. `get` of several candidate keys is one MGET (on a
 * Cluster, one GET per key: the keys are untagged, so they span slots). Like
 * `RedisStateStore`, commands fail fast while Redis is down (no offline queue, no retries), so a
 * profile lookup on the bid path costs a rejected promise, not a wait past tmax.
 */
export class RedisProfileStore implements ProfileStore {
  readonly #conn: RedisConnection;
  readonly #prefix: string;
  readonly #onError: StoreErrorHandler;

  constructor(options: RedisProfileStoreOptions) {
    this.#prefix = options.prefix ?? '';
    this.#onError = options.onError ?? defaultStoreErrorHandler;
    this.#conn = new RedisConnection({
      url: options.url,
      ...(options.cluster !== undefined && { cluster: options.cluster }),
      label: 'profile store',
      onError: this.#onError,
      ...(options.connectTimeoutMs !== undefined && { connectTimeoutMs: options.connectTimeoutMs }),
    });
  }

  async get(keys: readonly string[]): Promise<ProfileSegments | undefined> {
    await this.#conn.usable(closedError);
    if (keys.length === 0) return undefined;
    const redisKeysOf = keys.map((k) => redisKeys.profile(this.#prefix, k));
    // Profile keys carry no hash tag, so on a Cluster they sit in different slots: MGET would fail
    // with CROSSSLOT. One GET per key instead, sent together (each routed to its own node).
    const values = await this.#conn.command(() =>
      this.#conn.isCluster
        ? Promise.all(redisKeysOf.map((k) => this.#conn.client.get(k)))
        : this.#conn.client.mget(redisKeysOf),
    );
    for (let i = 0; i < values.length; i++) {
      const raw = values[i];
      if (raw === null || raw === undefined) continue;
      const segments = this.#parse(redisKeysOf[i]!, raw);
      if (segments !== undefined) return segments;
    }
    return undefined;
  }

  async put(key: string, segments: ProfileSegments, ttlSec: number): Promise<void> {
    checkTtlSec(ttlSec);
    await this.#conn.usable(closedError);
    await this.#conn.command(() =>
      this.#conn.client.set(redisKeys.profile(this.#prefix, key), JSON.stringify(segments), 'EX', ttlSec),
    );
  }

  async putMany(entries: readonly ProfileEntry[]): Promise<void> {
    for (const e of entries) checkTtlSec(e.ttlSec);
    await this.#conn.usable(closedError);
    if (entries.length === 0) return;
    // Pipelines, not MULTI: profiles are independent, and their keys span Cluster slots. An ioredis
    // Cluster pipeline must stay on one node (it rejects the whole batch otherwise, it does not
    // split it), so on a Cluster there is one pipeline per node, sent together.
    const client = this.#conn.client;
    const pipelines = new Map<string, ReturnType<typeof client.pipeline>>();
    for (const e of entries) {
      const key = redisKeys.profile(this.#prefix, e.key);
      const node = client instanceof Cluster ? (client.slots[keySlot(key)]?.join(';') ?? '') : '';
      let pipeline = pipelines.get(node);
      if (pipeline === undefined) {
        pipeline = client.pipeline();
        pipelines.set(node, pipeline);
      }
      pipeline.set(key, JSON.stringify(e.segments), 'EX', e.ttlSec);
    }
    const replies = (
      await this.#conn.command(() => Promise.all([...pipelines.values()].map((p) => p.exec())))
    ).flatMap((r) => r ?? []);
    for (const [err] of replies) {
      if (err !== null) {
        throw new StoreError('STORE_UNAVAILABLE', `Redis at ${this.#conn.url} failed: ${err.message}`, {
          cause: err,
        });
      }
    }
  }

  async delete(key: string): Promise<boolean> {
    await this.#conn.usable(closedError);
    return (await this.#conn.command(() => this.#conn.client.del(redisKeys.profile(this.#prefix, key)))) > 0;
  }

  ready(): Promise<void> {
    return this.#conn.ready(closedError);
  }

  close(): Promise<void> {
    return this.#conn.close();
  }

  /** A stored value that is not a segment list is reported and skipped, so the next key can answer. */
  #parse(key: string, raw: string): ProfileSegments | undefined {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      this.#onError(
        new StoreError('STORE_BAD_ROW', `skipped profile ${key}: not valid JSON (${messageOf(err)})`, {
          cause: err,
        }),
      );
      return undefined;
    }
    if (!checkSegments.Check(value)) {
      this.#onError(new StoreError('STORE_BAD_ROW', `skipped profile ${key}: not a segment list`));
      return undefined;
    }
    return deepFreeze(value);
  }
}
