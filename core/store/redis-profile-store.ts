import { Compile } from 'typebox/compile';
import { redisKeys } from '../keys.ts';
import { type ProfileSegments, ProfileSegmentsSchema } from '../scoring.ts';
import { deepFreeze } from './entity-data.ts';
import { defaultStoreErrorHandler, StoreError, type StoreErrorHandler } from './errors.ts';
import { checkTtlSec, type ProfileEntry, type ProfileStore } from './profile-store.ts';
import { messageOf, RedisConnection } from './redis-connection.ts';

const closedError = () => new StoreError('STORE_CLOSED', 'the profile store is closed');

/** Options of `RedisProfileStore`. */
export interface RedisProfileStoreOptions {
  /** `redis://[user:password@]host:port[/db]`. */
  url: string;
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
 * JSON, with EXPIRE set by the same SET. `get` of several candidate keys is one MGET. Like
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
      label: 'profile store',
      onError: this.#onError,
      ...(options.connectTimeoutMs !== undefined && { connectTimeoutMs: options.connectTimeoutMs }),
    });
  }

  async get(keys: readonly string[]): Promise<ProfileSegments | undefined> {
    await this.#conn.usable(closedError);
    if (keys.length === 0) return undefined;
    const redisKeysOf = keys.map((k) => redisKeys.profile(this.#prefix, k));
    const values = await this.#conn.command(() => this.#conn.client.mget(redisKeysOf));
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
    // A pipeline, not MULTI: profiles are independent, and their keys span Cluster slots.
    const pipeline = this.#conn.client.pipeline();
    for (const e of entries) {
      pipeline.set(redisKeys.profile(this.#prefix, e.key), JSON.stringify(e.segments), 'EX', e.ttlSec);
    }
    const replies = await this.#conn.command(() => pipeline.exec());
    for (const [err] of replies ?? []) {
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
