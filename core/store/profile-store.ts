import { createHmac } from 'node:crypto';
import type { ProfileSegments } from '../scoring.ts';

/** One profile to write: the hashed key, its segments and how long it lives. */
export interface ProfileEntry {
  readonly key: string;
  readonly segments: ProfileSegments;
  readonly ttlSec: number;
}

/**
 * User profiles (segments per user) for scoring, keyed by `profileKeyHash` of a user id so raw ids
 * are never stored. Two implementations pass one contract suite (`profile-store.case.ts`): the
 * embedded in-memory store (bounded, TTL by an injected clock) and Redis (one key per profile,
 * EXPIRE). Every profile expires: `ttlSec` is a positive integer of seconds.
 */
export interface ProfileStore {
  /** The profile of the first key (in the given order) that has one; one round trip on Redis. */
  get(keys: readonly string[]): Promise<ProfileSegments | undefined>;
  /** Creates or replaces a profile that expires `ttlSec` seconds from now. */
  put(key: string, segments: ProfileSegments, ttlSec: number): Promise<void>;
  /** Writes many profiles in as few round trips as the backend allows (imports). */
  putMany(entries: readonly ProfileEntry[]): Promise<void>;
  /** Removes a profile; true when it existed. */
  delete(key: string): Promise<boolean>;
  /** Resolves when the store can serve (Redis connected); calls before it wait for it. */
  ready(): Promise<void>;
  /** Releases connections and memory; later calls reject with STORE_CLOSED. */
  close(): Promise<void>;
}

/**
 * The profile-store key of a raw user id: HMAC-SHA256(salt, id) as 64 hex characters. The
 * importer and the bidder both call this with `PROFILE_SALT`, so changing the salt orphans every
 * stored profile. HMAC rather than sha256(salt + id): no ambiguity where salt and id meet.
 */
export function profileKeyHash(rawId: string, salt: string): string {
  return createHmac('sha256', salt).update(rawId).digest('hex');
}

/** Throws a RangeError unless `ttlSec` is a positive integer: a profile that never expires is a bug. */
export function checkTtlSec(ttlSec: number): void {
  if (!Number.isSafeInteger(ttlSec) || ttlSec < 1) {
    throw new RangeError(`ttlSec must be a positive integer, got ${ttlSec}`);
  }
}
