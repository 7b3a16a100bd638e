import { Redis } from 'ioredis';
import { Compile } from 'typebox/compile';
import { redisKeys } from '../keys.ts';
import { type ProfileSegments, ProfileSegmentsSchema } from '../scoring.ts';
import { deepFreeze } from './entity-data.ts';
import { defaultStoreErrorHandler, StoreError, type StoreErrorHandler } from './errors.ts';
import { checkTtlSec, type ProfileEntry, type ProfileStore } from './profile-store.ts';

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

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparsable Redis URL)';
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Profiles on Redis: one string key per profile (`redisKeys.profile`), holding the segments as
 * JSON, with EXPIRE set by the same SET. `get` of several candidate keys is one MGET. Like
 * `RedisStateStore`, commands fail fast while Redis is down (no offline queue, no retries), so a
 * profile lookup on the bid path costs a rejected promise, not a wait past tmax.
 */
export class RedisProfileStore implements ProfileStore {
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #url: string;
  readonly #connectTimeoutMs: number;
  readonly #onError: StoreErrorHandler;
  #connecting: Promise<void> | undefined;
  #connected = false;
  #closed = false;
  #lastConnectError: unknown;

  constructor(options: RedisProfileStoreOptions) {
    this.#prefix = options.prefix ?? '';
    this.#url = redactUrl(options.url);
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.#onError = options.onError ?? defaultStoreErrorHandler;
    this.#client = new Redis(options.url, {
      lazyConnect: true,
      connectTimeout: this.#connectTimeoutMs,
      // Fail fast (see RedisStateStore): a lookup issued while Redis is down must not wait for the
      // reconnect; reconnection goes on in the background.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    this.#client.on('error', (err: Error) => {
      if (!this.#connected) {
        this.#lastConnectError = err;
        return;
      }
      if (this.#closed) return;
      this.#onError(
        new StoreError('STORE_CONNECTION_ERROR', `Redis profile connection to ${this.#url}: ${err.message}`, {
          cause: err,
        }),
      );
    });
  }

  async get(keys: readonly string[]): Promise<ProfileSegments | undefined> {
    await this.#usable();
    if (keys.length === 0) return undefined;
    const redisKeysOf = keys.map((k) => redisKeys.profile(this.#prefix, k));
    const values = await this.#command(() => this.#client.mget(redisKeysOf));
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
    await this.#usable();
    await this.#command(() =>
      this.#client.set(redisKeys.profile(this.#prefix, key), JSON.stringify(segments), 'EX', ttlSec),
    );
  }

  async putMany(entries: readonly ProfileEntry[]): Promise<void> {
    for (const e of entries) checkTtlSec(e.ttlSec);
    await this.#usable();
    if (entries.length === 0) return;
    // A pipeline, not MULTI: profiles are independent, and their keys span Cluster slots.
    const pipeline = this.#client.pipeline();
    for (const e of entries) {
      pipeline.set(redisKeys.profile(this.#prefix, e.key), JSON.stringify(e.segments), 'EX', e.ttlSec);
    }
    const replies = await this.#command(() => pipeline.exec());
    for (const [err] of replies ?? []) {
      if (err !== null) {
        throw new StoreError('STORE_UNAVAILABLE', `Redis at ${this.#url} failed: ${err.message}`, {
          cause: err,
        });
      }
    }
  }

  async delete(key: string): Promise<boolean> {
    await this.#usable();
    return (await this.#command(() => this.#client.del(redisKeys.profile(this.#prefix, key)))) > 0;
  }

  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    return this.#connect();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#connecting?.catch(() => undefined);
    if (this.#client.status === 'ready') {
      try {
        await this.#client.quit();
        return;
      } catch {
        // The server went away mid-quit: drop the socket instead.
      }
    }
    this.#client.disconnect();
  }

  #closedError(): StoreError {
    return new StoreError('STORE_CLOSED', 'the profile store is closed');
  }

  async #usable(): Promise<void> {
    if (this.#closed) throw this.#closedError();
    if (!this.#connected) await this.#connect();
  }

  #connect(): Promise<void> {
    // A failed attempt is not cached: a later call tries again.
    this.#connecting ??= this.#openConnection().catch((err: unknown) => {
      this.#connecting = undefined;
      throw err;
    });
    return this.#connecting;
  }

  async #openConnection(): Promise<void> {
    const client = this.#client;
    this.#lastConnectError = undefined;
    let onReady: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        onReady = resolve;
        client.once('ready', onReady);
        timer = setTimeout(() => reject(new Error('timeout')), this.#connectTimeoutMs);
        // ioredis keeps retrying after a refused connect; 'ready' or the timer decides.
        client.connect().catch((err: unknown) => {
          this.#lastConnectError ??= err;
        });
      });
    } catch {
      client.disconnect();
      const cause = this.#lastConnectError;
      throw new StoreError(
        'STORE_UNREACHABLE',
        `cannot reach Redis at ${this.#url} within ${this.#connectTimeoutMs} ms: ${cause === undefined ? 'no answer' : messageOf(cause)}`,
        cause === undefined ? undefined : { cause },
      );
    } finally {
      clearTimeout(timer);
      if (onReady !== undefined) client.off('ready', onReady);
    }
    this.#connected = true;
  }

  async #command<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw new StoreError('STORE_UNAVAILABLE', `Redis at ${this.#url} failed: ${messageOf(err)}`, {
        cause: err,
      });
    }
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
