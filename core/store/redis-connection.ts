import { Cluster, type ClusterNode, type ClusterOptions, Command, Redis, type RedisOptions } from 'ioredis';
import { StoreError, type StoreErrorHandler } from './errors.ts';

/** A single Redis or a Redis Cluster client; both speak the same commands. */
export type RedisClient = Redis | Cluster;

/** The URL (or comma-separated seed list) with passwords removed, for messages and logs. */
export function redactUrl(url: string): string {
  return url
    .split(',')
    .map((one) => {
      try {
        const parsed = new URL(one.trim());
        if (parsed.password !== '') parsed.password = '';
        return parsed.toString();
      } catch {
        return '(unparsable Redis URL)';
      }
    })
    .join(',');
}

/** The Cluster slot (0–16383) of a key: CRC16 of its hash tag, as Redis computes it. */
export function keySlot(key: string): number {
  // ioredis' own slot function (cluster-key-slot), reached through its public Command class.
  return new Command('get', [key]).getSlot() ?? 0;
}

/** Seed nodes and shared connection options of a `REDIS_CLUSTER` seed list. */
export function parseClusterSeeds(url: string): {
  nodes: ClusterNode[];
  redisOptions: Pick<RedisOptions, 'username' | 'password' | 'tls'>;
} {
  const urls = url.split(',').map((one) => new URL(one.trim()));
  const nodes = urls.map((u) => ({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) }));
  // Credentials and TLS are the cluster's, not a node's: taken from the first seed that has them.
  const username = urls.find((u) => u.username !== '')?.username;
  const password = urls.find((u) => u.password !== '')?.password;
  return {
    nodes,
    redisOptions: {
      ...(username !== undefined && { username: decodeURIComponent(username) }),
      ...(password !== undefined && { password: decodeURIComponent(password) }),
      ...(urls[0]?.protocol === 'rediss:' && { tls: {} }),
    },
  };
}

/** An error's message, whatever was thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Quits a connection politely when it is up, else drops the socket. */
export async function closeConnection(client: RedisClient): Promise<void> {
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
  /** `redis://[user:password@]host:port[/db]`; with `cluster`, one or more comma-separated seed nodes. */
  url: string;
  /** Connect to a Redis Cluster (ioredis `Cluster`) through the seed nodes in `url` (default false). */
  cluster?: boolean;
  /** How long `ready()` waits for Redis before it rejects (default 5000). */
  connectTimeoutMs?: number;
  /** Names the connection in messages (`state store commands`, `profile store`…). */
  label: string;
  /** Receives connection errors after the first connect (before it, they explain ready()'s rejection). */
  onError: StoreErrorHandler;
  /** Lua scripts ioredis defines as commands. */
  scripts?: NonNullable<ClusterOptions['scripts']>;
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
 *
 * With `cluster`, the client is an ioredis `Cluster` with the same policy: no offline queue at the
 * cluster level, maxRetriesPerRequest 0 on every node connection, and no retry of a command whose
 * node is unreachable or whose slot is unserved (`retryDelayOnFailover` and
 * `retryDelayOnClusterDown` 0: with ioredis' default of 100 ms, a GET for a killed node's slot
 * took 880–1020 ms to fail, retried until "Too many Cluster redirections", against 2–7 ms with 0 —
 * measured on a 3-master loopback cluster, see redis-cluster.test.ts). MOVED/ASK redirections are
 * still followed: they are answers, not outages. The cluster reconnects in the background
 * (`clusterRetryStrategy`).
 */
export class RedisConnection<C extends RedisClient = RedisClient> {
  readonly client: C;
  /** True when `client` is a Redis Cluster client. */
  readonly isCluster: boolean;
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
    this.isCluster = o.cluster === true;
    if (this.isCluster) {
      const { nodes, redisOptions } = parseClusterSeeds(o.url);
      this.client = new Cluster(nodes, {
        lazyConnect: true,
        enableOfflineQueue: false,
        retryDelayOnFailover: 0,
        retryDelayOnClusterDown: 0,
        redisOptions: { ...redisOptions, connectTimeout: this.#timeoutMs, maxRetriesPerRequest: 0 },
        ...(o.scripts !== undefined && { scripts: o.scripts }),
      }) as unknown as C;
      // A node that refuses connections or errors: the cluster itself only reports losing all nodes.
      this.client.on('node error', (err: Error, node: string) =>
        this.reportError(`${this.#label} (node ${node})`, err),
      );
      // ioredis opens a node's connection lazily, on the first command, and without an offline
      // queue it rejects every other command for that node until the connection is ready: the first
      // burst after start (or after a topology change) failed with "Connection is closed."
      // (redis-cluster.test.ts, contract suites). So each master is connected as soon as it is known.
      this.client.on('+node', (node: Redis) => {
        if (!node.options.readOnly && node.status === 'wait') node.connect().catch(() => undefined);
      });
    } else {
      this.client = new Redis(o.url, {
        lazyConnect: true,
        connectTimeout: this.#timeoutMs,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        ...(o.scripts !== undefined && { scripts: o.scripts }),
      }) as unknown as C;
    }
    this.client.on('error', (err: Error) => this.reportError(this.#label, err));
  }

  /**
   * A second client, for pub/sub: it only subscribes and never serves a request, so it may queue
   * and wait for Redis. On a Cluster, plain SUBSCRIBE/PUBLISH are cluster-wide, so ioredis
   * subscribes on one node of its choice and moves the subscription when that node goes away.
   */
  subscriberClient(): RedisClient {
    const client: RedisClient = this.client;
    if (client instanceof Cluster) {
      return client.duplicate([], {
        lazyConnect: true,
        enableOfflineQueue: true,
        // Merged by duplicate() into the command client's node options (credentials, TLS).
        redisOptions: { maxRetriesPerRequest: null },
      });
    }
    return client.duplicate({
      lazyConnect: true,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      // Resubscribed by the caller on 'ready', so a catch-up read can follow the acknowledgement.
      autoResubscribe: false,
    });
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
  async close(extra: readonly RedisClient[] = []): Promise<void> {
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
        onReady = client instanceof Cluster ? () => settleMasters(client).then(resolve, reject) : resolve;
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

/**
 * Resolves once every master connection of a ready cluster has settled: ready, or given up (a
 * dead node ends; its slots then fail fast like any outage instead of holding up the start).
 */
function settleMasters(cluster: Cluster): Promise<void> {
  return Promise.all(
    cluster.nodes('master').map(
      (node) =>
        new Promise<void>((resolve) => {
          if (node.status === 'ready' || node.status === 'end') return resolve();
          if (node.status === 'wait') node.connect().catch(() => undefined);
          const done = () => {
            node.off('ready', done);
            node.off('end', done);
            resolve();
          };
          node.once('ready', done);
          node.once('end', done);
        }),
    ),
  ).then(() => undefined);
}
