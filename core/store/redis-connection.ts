import { Redis, type RedisOptions } from 'ioredis';
import { StoreError, type StoreErrorHandler } from './errors.ts';

/** The URL with its password removed, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparsable Redis URL)';
  }
}

/** An error's message, whatever was thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Quits a connection politely when it is up, else drops the socket. */
export async function closeConnection(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // The server went away mid-quit: drop the socket instead.
    }
  }
  client.disconnect();
}

/** Options of `RedisConnection`. */
export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]`. */
  url: string;
  /** How long `ready()` waits for Redis before it rejects (default 5000). */
  connectTimeoutMs?: number;
  /** Names the connection in messages (`state store commands`, `profile store`…). */
  label: string;
  /** Receives connection errors after the first connect (before it, they explain ready()'s rejection). */
  onError: StoreErrorHandler;
  /** Lua scripts ioredis defines as commands. */
  scripts?: RedisOptions['scripts'];
  /** Called once the first connect succeeds. */
  afterConnect?: () => void;
}

/**
 * One fail-fast ioredis connection, shared by every Redis-backed store. While Redis is down a
 * command must fail at once, not wait: the bidder answers within tmax and treats "store down" as a
 * no-bid (ARCHITECTURE.md, failure policy). So: no offline queue (a command issued while
 * disconnected is rejected instead of queued until the reconnect), and maxRetriesPerRequest 0 (a
 * command in flight when the connection drops is rejected, not re-sent after the reconnect —
 * which also keeps non-idempotent scripts from running twice). Reconnection goes on in the
 * background with ioredis' default backoff, so the store recovers by itself.
 */
export class RedisConnection<C extends Redis = Redis> {
  readonly client: C;
  /** The URL without its password. */
  readonly url: string;
  readonly #timeoutMs: number;
  readonly #label: string;
  readonly #onError: StoreErrorHandler;
  readonly #afterConnect: (() => void) | undefined;
  #connecting: Promise<void> | undefined;
  #connected = false;
  #closed = false;
  #lastConnectError: unknown;

  constructor(o: RedisConnectionOptions) {
    this.url = redactUrl(o.url);
    this.#timeoutMs = o.connectTimeoutMs ?? 5000;
    this.#label = o.label;
    this.#onError = o.onError;
    this.#afterConnect = o.afterConnect;
    this.client = new Redis(o.url, {
      lazyConnect: true,
      connectTimeout: this.#timeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      ...(o.scripts !== undefined && { scripts: o.scripts }),
    }) as C;
    this.client.on('error', (err: Error) => this.reportError(this.#label, err));
  }

  /** True once the first connect succeeded. */
  get connected(): boolean {
    return this.#connected;
  }

  /** True after close(). */
  get closed(): boolean {
    return this.#closed;
  }

  /** How long ready() waits, ms. */
  get connectTimeoutMs(): number {
    return this.#timeoutMs;
  }

  /** Reports an error of this or a companion connection (before the first connect it only explains ready()'s rejection). */
  reportError(connection: string, err: Error): void {
    if (!this.#connected) {
      this.#lastConnectError = err;
      return;
    }
    if (this.#closed) return;
    this.#onError(
      new StoreError(
        'STORE_CONNECTION_ERROR',
        `Redis ${connection} connection to ${this.url}: ${err.message}`,
        {
          cause: err,
        },
      ),
    );
  }

  /** Connects (once; a failed attempt is retried by the next call) or rejects with STORE_UNREACHABLE within the timeout. */
  ready(closedError: () => StoreError): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    // A failed attempt is not cached: a later call tries again.
    this.#connecting ??= this.#open().catch((err: unknown) => {
      this.#connecting = undefined;
      throw err;
    });
    return this.#connecting;
  }

  /** Throws when closed; connects when not yet connected. */
  async usable(closedError: () => StoreError): Promise<void> {
    if (this.#closed) throw closedError();
    if (!this.#connected) await this.ready(closedError);
  }

  /** Runs a command, turning any failure into STORE_UNAVAILABLE (a StoreError passes through). */
  async command<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError('STORE_UNAVAILABLE', `Redis at ${this.url} failed: ${messageOf(err)}`, {
        cause: err,
      });
    }
  }

  /** Closes for good (after a connect in progress settles). */
  async close(extra: readonly Redis[] = []): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#connecting?.catch(() => undefined);
    await Promise.all([this.client, ...extra].map(closeConnection));
  }

  async #open(): Promise<void> {
    const client = this.client;
    this.#lastConnectError = undefined;
    let onReady: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        onReady = resolve;
        client.once('ready', onReady);
        timer = setTimeout(() => reject(new Error('timeout')), this.#timeoutMs);
        // A refused connection rejects this promise but ioredis keeps retrying in the background;
        // the 'ready' event or the timer decides, so a Redis that is still starting is waited for.
        client.connect().catch((err: unknown) => {
          this.#lastConnectError ??= err;
        });
      });
    } catch {
      // Stop the background reconnects: nobody is going to use this connection.
      client.disconnect();
      const cause = this.#lastConnectError;
      const reason = cause === undefined ? 'no answer' : messageOf(cause);
      throw new StoreError(
        'STORE_UNREACHABLE',
        `cannot reach Redis at ${this.url} within ${this.#timeoutMs} ms: ${reason}`,
        cause === undefined ? undefined : { cause },
      );
    } finally {
      clearTimeout(timer);
      if (onReady !== undefined) client.off('ready', onReady);
    }
    this.#connected = true;
    this.#afterConnect?.();
  }
}
