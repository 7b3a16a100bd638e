import { BudgetError } from './budget-errors.ts';

/**
 * Shared budget accounting: campaign spend and the leases bidder instances hold on it.
 *
 * Design (issue 4). A bid must not wait for Redis, so each instance (a *holder*) leases a slice of
 * a campaign's remaining budget with one atomic call and spends it locally; what it does not use it
 * releases, or the lease expires and the store takes it back. The store keeps, per campaign:
 * - spend: `spent` (all time) and `spent:<dayKey>` (per day in the campaign's time zone);
 * - leases: one per (holder, day) with an amount, an expiry and a lease id.
 *
 * Invariant kept by every call: a grant never exceeds
 * `min(total − spent − Σ live leases, daily − spent(day) − Σ live leases(day))`, so the money
 * committed (spent + leased) stays within both budgets. Billing moves its cost from the holder's
 * lease to spend in one step (`settle`), once per bid id. A lease expires `ttlMs` after the
 * holder's last lease call (any lease call renews all of the holder's leases on the campaign), so
 * the slice of a crashed holder returns to the pool; the holder's later settlements then still
 * count as spend but no longer draw on the recovered slice (its lease id changed), so nothing is
 * spent twice from it.
 *
 * Two implementations pass one contract (`budget-store.case.ts`): `MemoryBudgetStore` (embedded,
 * injected clock) and `RedisBudgetStore` (Lua scripts; expiry on the Redis server's clock, the one
 * clock every instance shares).
 */
export interface BudgetStore {
  /**
   * Grants up to `wantMicros` more to the holder's lease for `limits.dayKey` (possibly 0), renews
   * every lease the holder has on the campaign for `ttlMs`, and hands over the holder's reservations
   * settled by other instances since its last call. `wantMicros` 0 is a pure renewal.
   */
  lease(request: LeaseRequest): Promise<LeaseGrant>;
  /**
   * Records a billed bid once per `bidId`: its cost is added to spend (total and `dayKey`) and, when
   * `leaseId` is the holder's live lease for that day, taken out of that lease (at most what it
   * holds). A retried billing answers 'duplicate' and changes nothing.
   */
  settle(request: SettleRequest): Promise<SettleOutcome>;
  /** Returns unused budget from the holder's live lease `leaseId` to the pool; answers the micros released (≤ held). */
  release(request: ReleaseRequest): Promise<number>;
  /** Spend and live leases of a campaign, for reconciliation, metrics and tests. */
  spend(campaignId: string, dayKey: string): Promise<BudgetSpend>;
  /** Resolves when the store can serve (Redis connected). */
  ready(): Promise<void>;
  /** Releases connections; later calls reject with STORE_CLOSED. */
  close(): Promise<void>;
}

/** The budgets a lease is checked against (from the campaign), and the day it counts against. */
export interface BudgetLimits {
  /** Campaign total budget. */
  readonly totalMicros: number;
  /** Campaign daily budget. */
  readonly dailyMicros: number;
  /** The current day in the campaign's time zone, `YYYY-MM-DD` (see `budgetDayKey`). */
  readonly dayKey: string;
}

/** Arguments of `BudgetStore.lease`. */
export interface LeaseRequest {
  readonly campaignId: string;
  /** The leasing instance, unique per process start (a restarted process must not inherit a lease). */
  readonly holder: string;
  /** How much more the holder asks for (0 renews only). */
  readonly wantMicros: number;
  readonly limits: BudgetLimits;
  /** Lease lifetime from now, as the store's clock counts it. */
  readonly ttlMs: number;
}

/** Answer of `BudgetStore.lease`. */
export interface LeaseGrant {
  /** Added to the holder's lease by this call: ≤ wantMicros and ≤ what the limits left. */
  readonly grantedMicros: number;
  /**
   * The holder's live lease for the day, 0 when it has none. A different id than before means the
   * earlier lease expired and its amount went back to the pool.
   */
  readonly leaseId: number;
  /** The holder's whole lease for the day after this call (unreserved plus in flight, as the store sees it). */
  readonly heldMicros: number;
  /** What the limits still allow anyone after this call; 0 means the campaign (or its day) is exhausted. */
  readonly remainingMicros: number;
  /** This holder's reservations billed through other instances since its last lease call. */
  readonly settledElsewhere: readonly SettledElsewhere[];
}

/** A holder's reservation settled by another instance (the store moved its cost out of the holder's lease). */
export interface SettledElsewhere {
  readonly reservationId: string;
  readonly costMicros: number;
  readonly dayKey: string;
  readonly leaseId: number;
}

/** Arguments of `BudgetStore.settle`. */
export interface SettleRequest {
  readonly campaignId: string;
  /** The holder whose lease covered the bid (carried in the notice URL). */
  readonly holder: string;
  /** The lease that covered the bid; when it is no longer the holder's live lease, only spend is recorded. */
  readonly leaseId: number;
  /** The day whose budget covered the bid (the reservation's day, not the billing's). */
  readonly dayKey: string;
  /** Idempotency key: one billing per bid id counts. */
  readonly bidId: string;
  /** The clearing price, in account micros. */
  readonly costMicros: number;
  /** The holder's reservation id, handed to the holder when `notifyHolder`. */
  readonly reservationId: string;
  /** True when the caller is not the holder: the holder collects the settlement on its next lease call. */
  readonly notifyHolder: boolean;
}

/** 'recorded' the first time a bid id is settled, 'duplicate' for retries. */
export type SettleOutcome = 'recorded' | 'duplicate';

/** Arguments of `BudgetStore.release`. */
export interface ReleaseRequest {
  readonly campaignId: string;
  readonly holder: string;
  readonly leaseId: number;
  readonly dayKey: string;
  readonly micros: number;
}

/** Spend of a campaign and its live leases. */
export interface BudgetSpend {
  /** Spent over the campaign's life. */
  readonly totalMicros: number;
  /** Spent against the given day. */
  readonly dayMicros: number;
  /** Held in live leases, every day and holder. */
  readonly leasedMicros: number;
  /** Held in live leases for the given day. */
  readonly dayLeasedMicros: number;
}

/** How long a billed bid id is remembered by default: exchanges retry billing for hours, not days. */
export const DEFAULT_BILLED_TTL_MS = 24 * 3_600_000;

/** Longest lease accepted: a lease is a short-lived slice, and a crashed holder's slice must come back soon. */
export const MAX_LEASE_TTL_MS = 3_600_000;

/** Ids that go into keys and `|`-separated values: no `|`, braces or spaces (they would break the format or the hash tag). */
/** 136: a 128-character entity id plus the gates' `adv:`/`li:` prefix. */
const ID = /^[A-Za-z0-9_.:-]{1,136}$/;
const DAY_KEY = /^\d{4}-\d{2}-\d{2}$/;

function invalid(message: string): BudgetError {
  return new BudgetError('BUDGET_INVALID_ARGUMENT', message);
}

function checkId(what: string, value: string): void {
  if (!ID.test(value)) throw invalid(`${what} must match ${ID.source}, got ${JSON.stringify(value)}`);
}

function checkMicros(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw invalid(`${what} must be a non-negative safe integer of micros, got ${value}`);
  }
}

function checkDayKey(value: string): void {
  if (!DAY_KEY.test(value)) throw invalid(`dayKey must be YYYY-MM-DD, got ${JSON.stringify(value)}`);
}

function checkLeaseId(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw invalid(`leaseId must be a non-negative integer, got ${value}`);
}

/** Throws BUDGET_INVALID_ARGUMENT unless the request is well formed; both stores call it first. */
export function checkLeaseRequest(r: LeaseRequest): void {
  checkId('campaignId', r.campaignId);
  checkId('holder', r.holder);
  checkMicros('wantMicros', r.wantMicros);
  checkMicros('limits.totalMicros', r.limits.totalMicros);
  checkMicros('limits.dailyMicros', r.limits.dailyMicros);
  checkDayKey(r.limits.dayKey);
  if (!Number.isSafeInteger(r.ttlMs) || r.ttlMs < 1 || r.ttlMs > MAX_LEASE_TTL_MS) {
    throw invalid(`ttlMs must be an integer in [1, ${MAX_LEASE_TTL_MS}], got ${r.ttlMs}`);
  }
}

/** Throws BUDGET_INVALID_ARGUMENT unless the request is well formed. */
export function checkSettleRequest(r: SettleRequest): void {
  checkId('campaignId', r.campaignId);
  checkId('holder', r.holder);
  checkLeaseId(r.leaseId);
  checkDayKey(r.dayKey);
  checkId('bidId', r.bidId);
  checkMicros('costMicros', r.costMicros);
  if (r.notifyHolder || r.reservationId !== '') checkId('reservationId', r.reservationId);
}

/** Throws BUDGET_INVALID_ARGUMENT unless the request is well formed. */
export function checkReleaseRequest(r: ReleaseRequest): void {
  checkId('campaignId', r.campaignId);
  checkId('holder', r.holder);
  checkLeaseId(r.leaseId);
  checkDayKey(r.dayKey);
  checkMicros('micros', r.micros);
}

/** Throws BUDGET_INVALID_ARGUMENT unless `spend()` arguments are well formed. */
export function checkSpendArgs(campaignId: string, dayKey: string): void {
  checkId('campaignId', campaignId);
  checkDayKey(dayKey);
}

/** Throws BUDGET_INVALID_ARGUMENT unless `ttlMs` is a positive safe integer (billed-id memory). */
export function checkBilledTtlMs(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1)
    throw invalid(`billedTtlMs must be a positive integer, got ${ttlMs}`);
}
