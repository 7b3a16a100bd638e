import type { CampaignData } from '../../core/index.ts';
import type { EvaluateConfig, Evaluation } from '../bidding/evaluate-bid.ts';
import type { LookupResult } from '../scoring/lookup-profile.ts';
import type { SharedScoreTables } from '../scoring/shared-score-tables.ts';
import type { AuctionOutcome } from '../strategies/strategy.ts';

/** What each scoring worker starts with (`workerData`): plain data, cloned once per thread. */
export interface WorkerInit {
  readonly config: EvaluateConfig;
  readonly secret: string;
  /** Base seed of the workers' RNGs; each thread adds its threadId. */
  readonly seed: number;
  /** Prefix of bid ids; each thread appends its threadId, so ids never collide, even after a crash. */
  readonly idPrefix: string;
  /** BroadcastChannel on which new campaign data is published. */
  readonly channel: string;
  readonly snapshot: SnapshotMessage | undefined;
  /** Redis holding user profiles; absent: score on request segments only. */
  readonly redis: { readonly url: string; readonly prefix: string; readonly cluster?: boolean } | undefined;
}

/** A campaign-data version broadcast to every worker. */
export interface SnapshotMessage {
  readonly version: number;
  /** Campaign data without its score tables: those travel compiled, in shared memory. */
  readonly data: CampaignData;
  readonly scoring: SharedScoreTables;
}

/**
 * A batch of bid requests: every body of one event-loop turn, packed into one transferred buffer
 * (no per-request structured clone; ARCHITECTURE.md "Process model").
 */
export interface BatchTask {
  readonly bytes: Uint8Array;
  /** End offset of each body in `bytes`. */
  readonly ends: readonly number[];
  readonly exchanges: readonly string[];
  /** When each request arrived (systemClock.monotonic, comparable across threads). */
  readonly receivedAt: readonly number[];
}

/** One request's outcome, as the worker returns it; bids come pre-serialised. */
export type WorkerResult = (
  | Exclude<Evaluation, { kind: 'bid' }>
  | (Omit<Extract<Evaluation, { kind: 'bid' }>, 'response'> & { readonly json: string })
) & {
  /** How the profile lookup went, when there was one (counted by the main thread). */
  readonly profile?: LookupResult | undefined;
};

/** A new worker's request for the latest campaign data on the snapshot channel. */
export const HELLO = 'hello';

/** Auction outcomes learned from notices (main thread), for every worker's strategies. */
export interface ObservationsMessage {
  readonly observations: readonly { readonly lineItemId: string; readonly outcome: AuctionOutcome }[];
}
