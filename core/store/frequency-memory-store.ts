import { StoreError } from './errors.ts';
import {
  checkEventId,
  checkFrequencyArgs,
  checkHoldTtlMs,
  type FrequencyRecordOutcome,
  type FrequencyScope,
  type FrequencyStore,
  longestWindowMs,
  NONE_CAPPED,
} from './frequency-store.ts';

/** Options of `MemoryFrequencyStore`. */
export interface MemoryFrequencyStoreOptions {
  /** Most users held; writing for one more evicts the least recently written (default 100 000). */
  maxUsers?: number;
}

/** One scope of one user: impression times ascending with their ids, and live holds. */
interface ScopeLog {
  readonly times: number[];
  readonly ids: string[];
  /** holdId → expiry epoch ms. */
  readonly holds: Map<string, number>;
}

interface UserLog {
  readonly scopes: Map<string, ScopeLog>;
  /** After this instant nothing of the user can cap anything: the whole entry may go. */
  expiresAtMs: number;
}

/** How many expired users a write drops from the old end at most, so a write stays O(1). */
const SWEEP_PER_WRITE = 8;

/** Index of the first time `> bound` in ascending `times`, i.e. how many are `<= bound`. */
function upperBound(times: readonly number[], bound: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= bound) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Live holds of a scope (except `except`). Holds sit in the Map in grant order, which is expiry
 * order as long as every hold has the same TTL, so dropping expired ones from the front stops at
 * the first live one: O(1) amortised even for a user with many holds. A hold with a shorter TTL
 * behind a longer one is dropped late, which can only over-count; `exact` scans them all.
 */
function liveHolds(log: ScopeLog, nowMs: number, except?: string, exact = false): number {
  for (const [id, expiresAtMs] of log.holds) {
    if (expiresAtMs <= nowMs) log.holds.delete(id);
    else if (!exact) break;
  }
  return log.holds.size - (except !== undefined && log.holds.has(except) ? 1 : 0);
}

/** `full`, with the holds counted exactly before saying yes (the cheap count can only over-count). */
function fullExactly(
  log: ScopeLog | undefined,
  scope: FrequencyScope,
  nowMs: number,
  except?: string,
): boolean {
  if (log === undefined) return full(undefined, scope, nowMs, 0);
  return (
    full(log, scope, nowMs, liveHolds(log, nowMs, except)) &&
    full(log, scope, nowMs, liveHolds(log, nowMs, except, true))
  );
}

/** True when one more impression (besides `holds` held slots) would break one of the scope's windows. */
function full(log: ScopeLog | undefined, scope: FrequencyScope, nowMs: number, holds: number): boolean {
  const times = log?.times ?? [];
  for (const cap of scope.caps) {
    const inWindow = times.length - upperBound(times, nowMs - cap.windowSec * 1000);
    if (holds + inWindow >= cap.max) return true;
  }
  return false;
}

/**
 * The embedded frequency store, for one process: per user, per scope, the impression times of
 * the scope's longest window (so at most the cap's `max` of them) and the live holds. Users sit in
 * a Map in write order, so the least recently written is evicted first and expired users are
 * dropped from the old end as writes go by: memory is bounded by `maxUsers` without a timer.
 * An evicted user's caps start again from zero — the price of the bound; the Redis store has none.
 * Single-threaded JavaScript makes each call atomic, so the contract's exactness holds trivially.
 */
export class MemoryFrequencyStore implements FrequencyStore {
  readonly #maxUsers: number;
  readonly #users = new Map<string, UserLog>();
  #closed = false;

  constructor(options: MemoryFrequencyStoreOptions = {}) {
    const maxUsers = options.maxUsers ?? 100_000;
    if (!Number.isSafeInteger(maxUsers) || maxUsers < 1) {
      throw new RangeError(`maxUsers must be a positive integer, got ${maxUsers}`);
    }
    this.#maxUsers = maxUsers;
  }

  /** Users held, expired ones not yet dropped included. */
  get size(): number {
    return this.#users.size;
  }

  async check(
    userKey: string,
    scopes: readonly FrequencyScope[],
    nowMs: number,
  ): Promise<ReadonlySet<string>> {
    this.#usable();
    checkFrequencyArgs(userKey, scopes, nowMs);
    const user = this.#read(userKey, nowMs);
    const capped: string[] = [];
    for (const scope of scopes) {
      if (scope.caps.length === 0) continue;
      const log = user?.scopes.get(scope.id);
      if (fullExactly(log, scope, nowMs)) capped.push(scope.id);
    }
    return capped.length === 0 ? NONE_CAPPED : new Set(capped);
  }

  async reserve(
    userKey: string,
    scopes: readonly FrequencyScope[],
    nowMs: number,
    holdId: string,
    ttlMs: number,
  ): Promise<ReadonlySet<string>> {
    this.#usable();
    checkFrequencyArgs(userKey, scopes, nowMs);
    checkEventId('holdId', holdId);
    checkHoldTtlMs(ttlMs);
    const existing = this.#read(userKey, nowMs);
    const capped: string[] = [];
    for (const scope of scopes) {
      if (scope.caps.length === 0) continue;
      const log = existing?.scopes.get(scope.id);
      if (fullExactly(log, scope, nowMs, holdId)) capped.push(scope.id);
    }
    if (capped.length > 0) return new Set(capped);
    const user = this.#write(userKey, nowMs);
    for (const scope of scopes) {
      if (scope.caps.length === 0) continue;
      this.#scopeLog(user, scope.id).holds.set(holdId, nowMs + ttlMs);
    }
    user.expiresAtMs = Math.max(user.expiresAtMs, nowMs + ttlMs);
    return NONE_CAPPED;
  }

  async release(userKey: string, scopes: readonly FrequencyScope[], holdId: string): Promise<void> {
    this.#usable();
    checkEventId('holdId', holdId);
    const user = this.#users.get(userKey);
    if (user === undefined) return;
    for (const scope of scopes) user.scopes.get(scope.id)?.holds.delete(holdId);
  }

  async record(
    userKey: string,
    scopes: readonly FrequencyScope[],
    nowMs: number,
    impressionId: string,
  ): Promise<readonly FrequencyRecordOutcome[]> {
    this.#usable();
    checkFrequencyArgs(userKey, scopes, nowMs);
    checkEventId('impressionId', impressionId);
    const outcomes: FrequencyRecordOutcome[] = [];
    const user = this.#write(userKey, nowMs);
    for (const scope of scopes) {
      const longestMs = longestWindowMs(scope);
      if (longestMs === 0) {
        outcomes.push('recorded');
        continue;
      }
      const log = this.#scopeLog(user, scope.id);
      // Same order as the Redis script: a retry is recognised before anything else changes.
      if (log.ids.includes(impressionId)) {
        outcomes.push('duplicate');
        continue;
      }
      log.holds.delete(impressionId);
      const stale = upperBound(log.times, nowMs - longestMs);
      log.times.splice(0, stale);
      log.ids.splice(0, stale);
      if (fullExactly(log, scope, nowMs)) {
        outcomes.push('capped');
        continue;
      }
      // Callers' clocks may disagree a little: insert in time order rather than append.
      const at = upperBound(log.times, nowMs);
      log.times.splice(at, 0, nowMs);
      log.ids.splice(at, 0, impressionId);
      user.expiresAtMs = Math.max(user.expiresAtMs, nowMs + longestMs);
      outcomes.push('recorded');
    }
    return outcomes;
  }

  async ready(): Promise<void> {
    this.#usable();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#users.clear();
  }

  #read(userKey: string, nowMs: number): UserLog | undefined {
    const user = this.#users.get(userKey);
    if (user !== undefined && user.expiresAtMs <= nowMs) {
      this.#users.delete(userKey);
      return undefined;
    }
    return user;
  }

  /** The user's entry, moved to the young end of the eviction order (created when absent). */
  #write(userKey: string, nowMs: number): UserLog {
    const user = this.#read(userKey, nowMs) ?? { scopes: new Map<string, ScopeLog>(), expiresAtMs: nowMs };
    this.#users.delete(userKey);
    let swept = 0;
    for (const [key, old] of this.#users) {
      if (swept === SWEEP_PER_WRITE || old.expiresAtMs > nowMs) break;
      this.#users.delete(key);
      swept += 1;
    }
    while (this.#users.size >= this.#maxUsers) {
      const oldest = this.#users.keys().next();
      if (oldest.done === true) break;
      this.#users.delete(oldest.value);
    }
    this.#users.set(userKey, user);
    return user;
  }

  #scopeLog(user: UserLog, scopeId: string): ScopeLog {
    let log = user.scopes.get(scopeId);
    if (log === undefined) {
      log = { times: [], ids: [], holds: new Map() };
      user.scopes.set(scopeId, log);
    }
    return log;
  }

  #usable(): void {
    if (this.#closed) throw new StoreError('STORE_CLOSED', 'the frequency store is closed');
  }
}
