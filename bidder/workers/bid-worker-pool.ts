import { BroadcastChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { CampaignData } from '../../core/index.ts';
import type { EvaluateConfig } from '../bidding/evaluate-bid.ts';
import type { SharedScoreTables } from '../scoring/shared-score-tables.ts';
import type { AuctionOutcome } from '../strategies/strategy.ts';
import {
  type BatchTask,
  HELLO,
  type ObservationsMessage,
  type SnapshotMessage,
  type WorkerInit,
  type WorkerResult,
} from './worker-protocol.ts';

/** Options of the scoring worker pool. */
export interface BidWorkerPoolOptions {
  readonly threads: number;
  readonly config: EvaluateConfig;
  readonly secret: string;
  /** Base seed; thread i gets seed + i. */
  readonly seed: number;
  /** Prefix of bid ids; each thread appends its own letter. */
  readonly idPrefix: string;
  /** A batch not answered within this time is abandoned (its worker is terminated and replaced). */
  readonly taskTimeoutMs: number;
  /** Largest batch: bodies beyond it go in the next task. */
  readonly maxBatch?: number;
  /** Worker module (tests swap in a faulty one). */
  readonly filename?: string;
  /** Redis holding user profiles, for the workers' own lookups. */
  readonly redis?: { url: string; prefix: string; cluster?: boolean };
}

/** A worker-side failure, turned into a no-bid by the route. */
export type PoolResult = WorkerResult | { readonly kind: 'failed'; readonly error: unknown };

interface Pending {
  body: Buffer;
  exchange: string;
  receivedAt: number;
  resolve: (r: PoolResult) => void;
}

let channels = 0;

/** Drops the raw score tables from the data: workers get them compiled, in shared memory. */
function withoutTables(m: SnapshotMessage): SnapshotMessage {
  const { scoreTables: _, ...data } = m.data;
  return { ...m, data };
}

/**
 * Scoring worker threads (piscina). Bodies arriving in one event-loop turn are packed into one
 * buffer, transferred (not cloned) to a worker that parses, decides and serialises them all, and
 * answered together. ARCHITECTURE.md "Process model" and bench/README.md explain the choice; the
 * piscina settings below follow it: fixed thread count (no teardown/recreate churn), no idle
 * timeout, async atomics so workers still receive snapshot broadcasts between tasks.
 */
export class BidWorkerPool {
  readonly #pool: Piscina;
  readonly #channel: BroadcastChannel;
  readonly #timeoutMs: number;
  readonly #maxBatch: number;
  #pending: Pending[] = [];
  #scheduled = false;
  #latest: SnapshotMessage | undefined;
  #hellos = 0;
  #observations: ObservationsMessage['observations'][number][] = [];
  #observeTimer: NodeJS.Timeout | undefined;
  #threads: number;
  #onReady: (() => void) | undefined;

  constructor(o: BidWorkerPoolOptions, initial?: SnapshotMessage) {
    const channel = `outbid-snapshot-${process.pid}-${++channels}`;
    this.#channel = new BroadcastChannel(channel);
    this.#timeoutMs = o.taskTimeoutMs;
    this.#maxBatch = o.maxBatch ?? 256;
    this.#latest = initial && withoutTables(initial);
    const init: WorkerInit = {
      config: o.config,
      secret: o.secret,
      seed: o.seed,
      idPrefix: o.idPrefix,
      channel,
      snapshot: this.#latest,
      redis: o.redis,
    };
    this.#pool = new Piscina({
      filename: o.filename ?? new URL('./bid.worker.ts', import.meta.url).href,
      minThreads: o.threads,
      maxThreads: o.threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      atomics: 'async',
      // Workers run TypeScript like the main process does.
      execArgv: ['--import', 'tsx'],
      workerData: init,
    });
    // Every thread says hello once its modules are loaded: that is readiness. A thread started after
    // a crash has only the start-up data, so each hello is answered with the latest.
    this.#channel.onmessage = (event: unknown) => {
      if ((event as { data: unknown }).data !== HELLO) return;
      this.#hellos++;
      if (this.#hellos >= o.threads) this.#onReady?.();
      if (this.#latest) this.#channel.postMessage(this.#latest);
    };
    this.#threads = o.threads;
    (this.#channel as unknown as { unref(): void }).unref();
  }

  /** Resolves once every thread has loaded (first start is ~1 s of TypeScript loading per thread); rejects after `timeoutMs`. */
  ready(timeoutMs = 30_000): Promise<void> {
    if (this.#hellos >= this.#threads) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`scoring workers not ready after ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#onReady = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /**
   * Forwards an auction outcome to every worker's strategies. Outcomes are buffered and broadcast
   * every 50 ms, so a notice storm costs one message per interval, not one per notice.
   */
  observe(lineItemId: string, outcome: AuctionOutcome): void {
    this.#observations.push({ lineItemId, outcome });
    if (this.#observeTimer === undefined) {
      this.#observeTimer = setTimeout(() => {
        this.#observeTimer = undefined;
        const items = this.#observations;
        this.#observations = [];
        this.#channel.postMessage({ observations: items } satisfies ObservationsMessage);
      }, 50);
      this.#observeTimer.unref();
    }
  }

  /** Sends new campaign data to every worker (they compile it themselves). */
  publish(version: number, data: CampaignData, scoring: SharedScoreTables): void {
    this.#latest = withoutTables({ version, data, scoring });
    this.#channel.postMessage(this.#latest);
  }

  /** Queues a body for the next batch; resolves with its result or a failure, never rejects. */
  evaluate(body: Buffer, exchange: string, receivedAt: number): Promise<PoolResult> {
    return new Promise((resolve) => {
      this.#pending.push({ body, exchange, receivedAt, resolve });
      if (this.#pending.length >= this.#maxBatch) this.#flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    let total = 0;
    for (const p of batch) total += p.body.length;
    const bytes = new Uint8Array(total);
    const ends: number[] = [];
    let at = 0;
    for (const p of batch) {
      bytes.set(p.body, at);
      at += p.body.length;
      ends.push(at);
    }
    const task: BatchTask = {
      bytes,
      ends,
      exchanges: batch.map((p) => p.exchange),
      receivedAt: batch.map((p) => p.receivedAt),
    };
    this.#pool.run(task, { transferList: [bytes.buffer], signal: AbortSignal.timeout(this.#timeoutMs) }).then(
      (results: WorkerResult[]) => {
        for (let i = 0; i < batch.length; i++) {
          const r = results[i];
          batch[i]!.resolve(r ?? { kind: 'failed', error: new Error('worker returned too few results') });
        }
      },
      (error: unknown) => {
        for (const p of batch) p.resolve({ kind: 'failed', error });
      },
    );
  }

  /** Threads currently running. */
  get threads(): number {
    return this.#pool.threads.length;
  }

  /** Stops the threads (after the queued batches). */
  async close(): Promise<void> {
    if (this.#pending.length > 0) this.#flush();
    this.#channel.close();
    await this.#pool.close();
  }
}
