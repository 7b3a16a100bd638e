import type { Clock } from '../../core/index.ts';
// Deep imports until core/index.ts exports the frequency store (integration).
import type {
  FrequencyCap,
  FrequencyRecordOutcome,
  FrequencyScope,
  FrequencyStore,
} from '../../core/store/frequency-store.ts';

/** The scope of a campaign's caps; campaign and line-item ids may coincide, so the kind is part of the id. */
export function campaignScope(campaignId: string, caps: readonly FrequencyCap[]): FrequencyScope {
  return { id: `c:${campaignId}`, caps };
}

/** The scope of a line item's own caps. */
export function lineItemScope(lineItemId: string, caps: readonly FrequencyCap[]): FrequencyScope {
  return { id: `li:${lineItemId}`, caps };
}

/**
 * The one key a user's caps are counted under: the first of `userFeatures().profileKeys`
 * (buyeruid, then user.id, then IFA, each `profileKeyHash`ed). One key, not all of them: counting
 * under several would let a user whose ids differ between requests slip past each cap once per id.
 */
export function frequencyUserKey(profileKeys: readonly string[]): string | undefined {
  return profileKeys[0];
}

/** A candidate line item with the caps that apply to it (its campaign's and its own). */
export interface FrequencyCandidate {
  readonly lineItemId: string;
  readonly campaignId: string;
  readonly campaignCaps: readonly FrequencyCap[];
  readonly lineItemCaps: readonly FrequencyCap[];
}

/** Options of `FrequencyGate`. */
export interface FrequencyGateOptions {
  readonly store: FrequencyStore;
  readonly clock: Clock;
  /** Longest wait for the store on the bid path; past it, capped candidates are dropped (default 10). */
  readonly timeoutMs?: number;
  /**
   * A request without a user key cannot be counted: 'block' drops line items that have caps (a cap
   * is a promise to the buyer), 'allow' lets them bid uncapped (default 'block').
   */
  readonly unknownUsers?: 'block' | 'allow';
}

/** What the gate decided for one request. */
export interface FrequencyVerdict {
  /** Line items that must not bid for this user. */
  readonly cappedLineItems: ReadonlySet<string>;
  /** Why, when not every capped line item is capped by a count: no user key, or the store failed or was late. */
  readonly degraded: 'no-user' | 'store-failed' | undefined;
}

const NO_VERDICT: FrequencyVerdict = { cappedLineItems: new Set(), degraded: undefined };

/**
 * Frequency caps on the bid path: one batched `check` for all candidates of a request, skipped
 * when none has caps. Fails closed (ARCHITECTURE.md, failure policy): when the store is down or
 * slower than `timeoutMs`, every candidate with caps is dropped and `degraded` says why, so the
 * bid route can no-bid with a reason and count it; candidates without caps still bid.
 */
export class FrequencyGate {
  readonly #store: FrequencyStore;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #unknownUsers: 'block' | 'allow';

  constructor(options: FrequencyGateOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#timeoutMs = options.timeoutMs ?? 10;
    this.#unknownUsers = options.unknownUsers ?? 'block';
  }

  /** The candidates this user may not see now. */
  async check(
    userKey: string | undefined,
    candidates: readonly FrequencyCandidate[],
  ): Promise<FrequencyVerdict> {
    const scopes = new Map<string, FrequencyScope>();
    for (const c of candidates) {
      if (c.campaignCaps.length > 0) {
        const s = campaignScope(c.campaignId, c.campaignCaps);
        scopes.set(s.id, s);
      }
      if (c.lineItemCaps.length > 0) {
        const s = lineItemScope(c.lineItemId, c.lineItemCaps);
        scopes.set(s.id, s);
      }
    }
    if (scopes.size === 0) return NO_VERDICT;
    const withCaps = (isCapped: (c: FrequencyCandidate) => boolean) =>
      new Set(candidates.filter(isCapped).map((c) => c.lineItemId));
    const hasCaps = (c: FrequencyCandidate) => c.campaignCaps.length > 0 || c.lineItemCaps.length > 0;
    if (userKey === undefined) {
      return this.#unknownUsers === 'allow'
        ? NO_VERDICT
        : { cappedLineItems: withCaps(hasCaps), degraded: 'no-user' };
    }
    let capped: ReadonlySet<string>;
    try {
      capped = await this.#withTimeout(this.#store.check(userKey, [...scopes.values()], this.#clock.now()));
    } catch {
      return { cappedLineItems: withCaps(hasCaps), degraded: 'store-failed' };
    }
    if (capped.size === 0) return NO_VERDICT;
    return {
      cappedLineItems: withCaps((c) => capped.has(`c:${c.campaignId}`) || capped.has(`li:${c.lineItemId}`)),
      degraded: undefined,
    };
  }

  /**
   * Counts a billed impression against the campaign's and the line item's caps (idempotent per
   * impression id, which should be the bid id so a hold taken with it is consumed).
   */
  record(
    userKey: string,
    candidate: FrequencyCandidate,
    impressionId: string,
  ): Promise<readonly FrequencyRecordOutcome[]> {
    return this.#store.record(
      userKey,
      [
        campaignScope(candidate.campaignId, candidate.campaignCaps),
        lineItemScope(candidate.lineItemId, candidate.lineItemCaps),
      ],
      this.#clock.now(),
      impressionId,
    );
  }

  #withTimeout<T>(promise: Promise<T>): Promise<T> {
    return withTimeout(promise, this.#timeoutMs);
  }
}

/** `promise`, or a rejection once `timeoutMs` has passed (the frequency store's deadline on the bid path). */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('frequency store timeout')), timeoutMs);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
