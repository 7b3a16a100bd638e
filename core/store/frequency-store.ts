import type { FrequencyCap } from '../campaign.ts';

/** One frequency-cap window: at most `max` impressions per user in the last `windowSec` seconds. */
export type { FrequencyCap };

/**
 * What a cap applies to (a campaign, a line item…) and its windows. `id` is opaque to the store
 * (the bidder builds `c:<campaignId>`, `li:<lineItemId>`); ids must not repeat within one call.
 */
export interface FrequencyScope {
  readonly id: string;
  readonly caps: readonly FrequencyCap[];
}

/** What `record` did with one impression in one scope. */
export type FrequencyRecordOutcome =
  /** Counted. Also the answer for a scope without caps, where there is nothing to count against. */
  | 'recorded'
  /** This impression id was already counted in this scope (a retried notice): not counted again. */
  | 'duplicate'
  /** Counting it would break a window (the impression was served past the cap): not counted. */
  | 'capped';

/**
 * Frequency caps per user and scope, over exact sliding windows, shared by every bidder process.
 *
 * Semantics every implementation keeps (contract: `frequency-store.case.ts`):
 * - Windows slide on the caller's `nowMs`: an impression at `t` counts in a window of `w` ms at
 *   `now` iff `t > now - w`. So at `t + w` exactly it has left the window.
 * - Exact: `record` checks and counts in one atomic step, so for every scope and every window the
 *   impressions counted never exceed `max`, however many processes record at once. An impression
 *   that would break a window is answered `capped` and not counted.
 * - `check` is a read at bid time. Alone it cannot stop two concurrent bids from both passing the
 *   last free slot; `reserve` closes that gap: a hold counts like an impression in every window
 *   until it expires, is released, or is turned into the impression by `record` with the same id.
 * - Idempotent: an impression id is counted once per scope while it is inside the scope's longest
 *   window (afterwards it could not cap anything anyway; exchanges retry within minutes).
 * - A scope without caps is never capped and stores nothing.
 * Invalid arguments (an empty user key, caps that are not positive integers) throw a RangeError.
 */
export interface FrequencyStore {
  /** The ids of the scopes where one more impression would break a window (counting live holds); one round trip on Redis. */
  check(userKey: string, scopes: readonly FrequencyScope[], nowMs: number): Promise<ReadonlySet<string>>;
  /**
   * Holds one slot in every scope for a bid about to go out, all or none: answers the ids of the
   * scopes that are full (empty = held). Holding again with the same `holdId` renews it.
   */
  reserve(
    userKey: string,
    scopes: readonly FrequencyScope[],
    nowMs: number,
    holdId: string,
    ttlMs: number,
  ): Promise<ReadonlySet<string>>;
  /** Drops a hold (the bid lost or was never shown); unknown holds are ignored. */
  release(userKey: string, scopes: readonly FrequencyScope[], holdId: string): Promise<void>;
  /**
   * Counts one impression in each scope, atomically per scope, and answers an outcome per scope (same
   * order). A hold with `impressionId` as its id is consumed by it.
   */
  record(
    userKey: string,
    scopes: readonly FrequencyScope[],
    nowMs: number,
    impressionId: string,
  ): Promise<readonly FrequencyRecordOutcome[]>;
  /** Resolves when the store can serve (Redis connected); calls before it wait for it. */
  ready(): Promise<void>;
  /** Releases connections and memory; later calls reject with STORE_CLOSED. */
  close(): Promise<void>;
}

/** The longest window of a scope in ms (0 without caps): how long its impressions matter. */
export function longestWindowMs(scope: FrequencyScope): number {
  let longest = 0;
  for (const cap of scope.caps) longest = Math.max(longest, cap.windowSec * 1000);
  return longest;
}

/** Throws a RangeError for arguments no caller should send: they are bugs, not bad traffic. */
export function checkFrequencyArgs(userKey: string, scopes: readonly FrequencyScope[], nowMs: number): void {
  if (userKey === '') throw new RangeError('userKey must not be empty');
  if (!Number.isSafeInteger(nowMs)) throw new RangeError(`nowMs must be an integer, got ${nowMs}`);
  const seen = new Set<string>();
  for (const scope of scopes) {
    if (scope.id === '') throw new RangeError('a frequency scope id must not be empty');
    if (seen.has(scope.id)) throw new RangeError(`frequency scope ${scope.id} given twice`);
    seen.add(scope.id);
    for (const cap of scope.caps) {
      if (
        !Number.isSafeInteger(cap.max) ||
        cap.max < 1 ||
        !Number.isSafeInteger(cap.windowSec) ||
        cap.windowSec < 1
      ) {
        throw new RangeError(
          `frequency cap of ${scope.id} must have positive integer max and windowSec, got ${JSON.stringify(cap)}`,
        );
      }
    }
  }
}

/** Throws a RangeError unless `id` is a non-empty hold or impression id. */
export function checkEventId(kind: 'holdId' | 'impressionId', id: string): void {
  if (id === '') throw new RangeError(`${kind} must not be empty`);
}

/** Throws a RangeError unless `ttlMs` is a positive integer: a hold that never expires would block a user for good. */
export function checkHoldTtlMs(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1)
    throw new RangeError(`ttlMs must be a positive integer, got ${ttlMs}`);
}

/** The empty answer of check/reserve, shared because most requests meet no cap (read-only by its type). */
export const NONE_CAPPED: ReadonlySet<string> = new Set<string>();
