import type { Clock } from '../clock.ts';
import type { ProfileSegments } from '../scoring.ts';
import { frozenCopy } from './entity-data.ts';
import { StoreError } from './errors.ts';
import { checkTtlSec, type ProfileEntry, type ProfileStore } from './profile-store.ts';

/** Options of `MemoryProfileStore`. */
export interface MemoryProfileStoreOptions {
  /** Source of time for expiry (tests and simulations pass a ManualClock). */
  clock: Clock;
  /** Most profiles held; writing one more evicts the least recently written (default 100 000). */
  maxEntries?: number;
}

interface Held {
  readonly segments: ProfileSegments;
  readonly expiresAtMs: number;
}

/**
 * The embedded profile store: a Map in insertion order, so its first entry is always the least
 * recently written one and eviction is O(1). Expired profiles are dropped when met (get, or
 * eviction), not by a timer: nothing runs while nobody asks, and memory is bounded by
 * `maxEntries` either way. Lives and dies with the process (no snapshot).
 */
export class MemoryProfileStore implements ProfileStore {
  readonly #clock: Clock;
  readonly #maxEntries: number;
  readonly #profiles = new Map<string, Held>();
  #closed = false;

  constructor(options: MemoryProfileStoreOptions) {
    const maxEntries = options.maxEntries ?? 100_000;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
    this.#clock = options.clock;
    this.#maxEntries = maxEntries;
  }

  /** Number of profiles held, expired ones not yet dropped included. */
  get size(): number {
    return this.#profiles.size;
  }

  async get(keys: readonly string[]): Promise<ProfileSegments | undefined> {
    this.#usable();
    const now = this.#clock.now();
    for (const key of keys) {
      const held = this.#profiles.get(key);
      if (held === undefined) continue;
      if (held.expiresAtMs <= now) {
        this.#profiles.delete(key);
        continue;
      }
      return held.segments;
    }
    return undefined;
  }

  async put(key: string, segments: ProfileSegments, ttlSec: number): Promise<void> {
    this.#usable();
    checkTtlSec(ttlSec);
    this.#set(key, segments, ttlSec);
  }

  async putMany(entries: readonly ProfileEntry[]): Promise<void> {
    this.#usable();
    // Checked up front so a bad entry leaves the store untouched, as the Redis MULTI does.
    for (const e of entries) checkTtlSec(e.ttlSec);
    for (const e of entries) this.#set(e.key, e.segments, e.ttlSec);
  }

  async delete(key: string): Promise<boolean> {
    this.#usable();
    const held = this.#profiles.get(key);
    this.#profiles.delete(key);
    return held !== undefined && held.expiresAtMs > this.#clock.now();
  }

  async ready(): Promise<void> {
    this.#usable();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#profiles.clear();
  }

  #set(key: string, segments: ProfileSegments, ttlSec: number): void {
    // Delete first so a rewritten profile moves to the young end of the eviction order.
    this.#profiles.delete(key);
    while (this.#profiles.size >= this.#maxEntries) {
      const oldest = this.#profiles.keys().next();
      if (oldest.done === true) break;
      this.#profiles.delete(oldest.value);
    }
    this.#profiles.set(key, {
      segments: frozenCopy(segments),
      expiresAtMs: this.#clock.now() + ttlSec * 1000,
    });
  }

  #usable(): void {
    if (this.#closed) throw new StoreError('STORE_CLOSED', 'the profile store is closed');
  }
}
