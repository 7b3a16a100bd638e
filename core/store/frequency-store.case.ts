import { afterEach, describe, expect, it } from 'vitest';
import { rejection as rejectionOf } from '../../tests/support/rejection.ts';
import type { StoreError } from './errors.ts';
import type { FrequencyScope, FrequencyStore } from './frequency-store.ts';

const rejection = (p: Promise<unknown>) => rejectionOf<unknown>(p);

const T0 = Date.UTC(2025, 0, 1);
const SEC = 1000;
const HOUR = 3600 * SEC;
const DAY = 24 * HOUR;

const scope = (id: string, ...caps: [max: number, windowSec: number][]): FrequencyScope => ({
  id,
  caps: caps.map(([max, windowSec]) => ({ max, windowSec })),
});

/**
 * The contract every `FrequencyStore` passes. `open()` returns a store on fresh, empty backing
 * (its own key prefix, a new instance); the suite closes it after each test. Time is the `nowMs`
 * the calls pass, so no test waits.
 */
export function frequencyStoreContract(name: string, open: () => Promise<FrequencyStore>): void {
  describe(`${name} (FrequencyStore contract)`, () => {
    const opened: FrequencyStore[] = [];
    const openStore = async () => {
      const store = await open();
      opened.push(store);
      await store.ready();
      return store;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    it('a new user is capped nowhere; no scopes answer an empty set', async () => {
      const store = await openStore();
      expect([...(await store.check('u1', [scope('c:1', [1, 60])], T0))]).toEqual([]);
      expect([...(await store.check('u1', [], T0))]).toEqual([]);
    });

    it('counts impressions up to max and then reports the scope capped, only that scope', async () => {
      const store = await openStore();
      const camp = scope('c:1', [3, 3600]);
      const line = scope('li:1', [2, 3600]);
      const other = scope('li:2', [5, 3600]);
      expect(await store.record('u1', [camp, line], T0, 'imp-1')).toEqual(['recorded', 'recorded']);
      expect(await store.record('u1', [camp, line], T0 + SEC, 'imp-2')).toEqual(['recorded', 'recorded']);
      expect([...(await store.check('u1', [camp, line, other], T0 + 2 * SEC))]).toEqual(['li:1']);
      expect(await store.record('u1', [camp, line], T0 + 3 * SEC, 'imp-3')).toEqual(['recorded', 'capped']);
      expect(new Set(await store.check('u1', [camp, line, other], T0 + 4 * SEC))).toEqual(
        new Set(['c:1', 'li:1']),
      );
      expect(await store.record('u1', [camp], T0 + 5 * SEC, 'imp-4')).toEqual(['capped']);
    });

    it('windows slide exactly: an impression leaves a window of w ms at t + w, not a millisecond earlier', async () => {
      const store = await openStore();
      const s = scope('c:1', [2, 3600]);
      await store.record('u1', [s], T0, 'a');
      await store.record('u1', [s], T0 + 10 * SEC, 'b');
      expect([...(await store.check('u1', [s], T0 + HOUR - 1))]).toEqual(['c:1']);
      expect([...(await store.check('u1', [s], T0 + HOUR))]).toEqual([]);
      // One slot opened (a left), b is still in: one more fits, the next does not.
      expect(await store.record('u1', [s], T0 + HOUR, 'c')).toEqual(['recorded']);
      expect(await store.record('u1', [s], T0 + HOUR + 1, 'd')).toEqual(['capped']);
    });

    it('enforces every window of a scope: 2 per hour and 3 per day', async () => {
      const store = await openStore();
      const s = scope('c:1', [2, 3600], [3, 86_400]);
      expect(await store.record('u1', [s], T0, 'i1')).toEqual(['recorded']);
      expect(await store.record('u1', [s], T0 + 60 * SEC, 'i2')).toEqual(['recorded']);
      expect(await store.record('u1', [s], T0 + 120 * SEC, 'i3')).toEqual(['capped']);
      // An hour later the hourly window has room, the daily one has one slot left.
      expect([...(await store.check('u1', [s], T0 + HOUR + 60 * SEC))]).toEqual([]);
      expect(await store.record('u1', [s], T0 + HOUR + 60 * SEC, 'i4')).toEqual(['recorded']);
      expect([...(await store.check('u1', [s], T0 + 3 * HOUR))]).toEqual(['c:1']);
      expect(await store.record('u1', [s], T0 + 3 * HOUR, 'i5')).toEqual(['capped']);
      // The day slides too: i1 leaves at T0 + 24 h.
      expect([...(await store.check('u1', [s], T0 + DAY - 1))]).toEqual(['c:1']);
      expect(await store.record('u1', [s], T0 + DAY, 'i6')).toEqual(['recorded']);
      expect([...(await store.check('u1', [s], T0 + DAY))]).toEqual(['c:1']);
    });

    it('an impression capped earlier was not counted: once the window slides, exactly max fit again', async () => {
      const store = await openStore();
      const s = scope('c:1', [2, 60]);
      for (let i = 0; i < 5; i++) await store.record('u1', [s], T0 + i, `early-${i}`);
      const later = T0 + 60 * SEC + 10;
      const outcomes = [];
      for (let i = 0; i < 4; i++) outcomes.push(...(await store.record('u1', [s], later + i, `late-${i}`)));
      expect(outcomes).toEqual(['recorded', 'recorded', 'capped', 'capped']);
    });

    it('is idempotent per impression id and scope: a retried notice is counted once', async () => {
      const store = await openStore();
      const camp = scope('c:1', [2, 3600]);
      const line = scope('li:1', [2, 3600]);
      expect(await store.record('u1', [camp], T0, 'imp-1')).toEqual(['recorded']);
      expect(await store.record('u1', [camp, line], T0 + SEC, 'imp-1')).toEqual(['duplicate', 'recorded']);
      expect(await store.record('u1', [camp, line], T0 + 2 * SEC, 'imp-1')).toEqual([
        'duplicate',
        'duplicate',
      ]);
      expect([...(await store.check('u1', [camp, line], T0 + 3 * SEC))]).toEqual([]);
      // A retry stays a duplicate even when the scope is full meanwhile.
      expect(await store.record('u1', [camp], T0 + 4 * SEC, 'imp-2')).toEqual(['recorded']);
      expect(await store.record('u1', [camp], T0 + 5 * SEC, 'imp-2')).toEqual(['duplicate']);
    });

    it('keeps users and scopes apart', async () => {
      const store = await openStore();
      const a = scope('c:a', [1, 3600]);
      const b = scope('c:b', [1, 3600]);
      await store.record('u1', [a], T0, 'x');
      expect([...(await store.check('u1', [a, b], T0))]).toEqual(['c:a']);
      expect([...(await store.check('u2', [a, b], T0))]).toEqual([]);
      expect(await store.record('u2', [a], T0, 'x')).toEqual(['recorded']);
    });

    it('a scope without caps is never capped and records nothing', async () => {
      const store = await openStore();
      const free = scope('c:free');
      const capped = scope('c:1', [1, 60]);
      expect(await store.record('u1', [free, capped], T0, 'x')).toEqual(['recorded', 'recorded']);
      expect(await store.record('u1', [free, capped], T0, 'y')).toEqual(['recorded', 'capped']);
      expect([...(await store.check('u1', [free, capped], T0))]).toEqual(['c:1']);
    });

    it('a hold takes a slot at bid time, and its own impression turns it into a count', async () => {
      const store = await openStore();
      const s = scope('c:1', [2, 3600]);
      expect([...(await store.reserve('u1', [s], T0, 'bid-1', 60_000))]).toEqual([]);
      expect([...(await store.reserve('u1', [s], T0, 'bid-2', 60_000))]).toEqual([]);
      expect([...(await store.check('u1', [s], T0 + 1))]).toEqual(['c:1']);
      expect([...(await store.reserve('u1', [s], T0 + 1, 'bid-3', 60_000))]).toEqual(['c:1']);
      // An impression without a hold may not take a held slot.
      expect(await store.record('u1', [s], T0 + 2, 'stray')).toEqual(['capped']);
      // The holders' impressions fit: each consumes its own hold.
      expect(await store.record('u1', [s], T0 + 3, 'bid-1')).toEqual(['recorded']);
      expect(await store.record('u1', [s], T0 + 4, 'bid-2')).toEqual(['recorded']);
      expect([...(await store.check('u1', [s], T0 + 5))]).toEqual(['c:1']);
      expect(await store.record('u1', [s], T0 + 6, 'bid-3')).toEqual(['capped']);
    });

    it('reserve is all or none across scopes, and renewing a hold does not block itself', async () => {
      const store = await openStore();
      const camp = scope('c:1', [3, 3600]);
      const line = scope('li:1', [1, 3600]);
      expect([...(await store.reserve('u1', [camp, line], T0, 'bid-1', 60_000))]).toEqual([]);
      expect([...(await store.reserve('u1', [camp, line], T0 + 1, 'bid-1', 60_000))]).toEqual([]);
      expect([...(await store.reserve('u1', [camp, line], T0 + 2, 'bid-2', 60_000))]).toEqual(['li:1']);
      // bid-2 held nothing in the campaign: two campaign slots are still free.
      expect([...(await store.reserve('u1', [camp], T0 + 3, 'bid-3', 60_000))]).toEqual([]);
      expect([...(await store.reserve('u1', [camp], T0 + 4, 'bid-4', 60_000))]).toEqual([]);
      expect([...(await store.check('u1', [camp, line], T0 + 5))].sort()).toEqual(['c:1', 'li:1']);
    });

    it('a hold ends when released or when it expires', async () => {
      const store = await openStore();
      const s = scope('c:1', [1, 3600]);
      await store.reserve('u1', [s], T0, 'bid-1', 60_000);
      expect([...(await store.check('u1', [s], T0))]).toEqual(['c:1']);
      await store.release('u1', [s], 'bid-1');
      await store.release('u1', [s], 'never-held');
      expect([...(await store.check('u1', [s], T0))]).toEqual([]);
      await store.reserve('u1', [s], T0, 'bid-2', 60_000);
      expect([...(await store.check('u1', [s], T0 + 59_999))]).toEqual(['c:1']);
      expect([...(await store.check('u1', [s], T0 + 60_000))]).toEqual([]);
      // An expired hold does not let its late impression past the cap.
      expect(await store.record('u1', [s], T0 + 60_001, 'other')).toEqual(['recorded']);
      expect(await store.record('u1', [s], T0 + 60_002, 'bid-2')).toEqual(['capped']);
    });

    it('refuses arguments no caller should send with a RangeError', async () => {
      const store = await openStore();
      const s = scope('c:1', [1, 60]);
      await expect(store.check('', [s], T0)).rejects.toThrow(RangeError);
      await expect(store.check('u1', [scope('c:1', [0, 60])], T0)).rejects.toThrow(RangeError);
      await expect(store.check('u1', [scope('c:1', [1, 0.5])], T0)).rejects.toThrow(RangeError);
      await expect(store.check('u1', [s, s], T0)).rejects.toThrow(RangeError);
      await expect(store.record('u1', [s], T0, '')).rejects.toThrow(RangeError);
      await expect(store.reserve('u1', [s], T0, 'h', 0)).rejects.toThrow(RangeError);
    });

    it('rejects with STORE_CLOSED after close()', async () => {
      const store = await openStore();
      await store.close();
      const err = (await rejection(store.check('u1', [scope('c:1', [1, 60])], T0))) as StoreError;
      expect(err.code).toBe('STORE_CLOSED');
    });
  });
}
