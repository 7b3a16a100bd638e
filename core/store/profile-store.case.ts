import { afterEach, describe, expect, it } from 'vitest';
import { rejection as rejectionOf } from '../../tests/support/rejection.ts';
import type { ProfileSegment, ProfileSegments } from '../scoring.ts';
import type { StoreError } from './errors.ts';
import type { ProfileStore } from './profile-store.ts';

const rejection = (p: Promise<unknown>) => rejectionOf<unknown>(p);

/** A store opened for one test, with the way its time moves forward. */
export interface OpenedProfileStore {
  readonly store: ProfileStore;
  /** Lets `ms` pass as the store sees time: a ManualClock advance, or a real wait for Redis. */
  advance(ms: number): Promise<void>;
}

const segs = (...ids: string[]): ProfileSegment[] => ids.map((id) => ({ id }));

/**
 * The contract every `ProfileStore` passes. `open()` returns a store on fresh, empty backing
 * (its own key prefix, a new instance); the suite closes it after each test.
 */
export function profileStoreContract(name: string, open: () => Promise<OpenedProfileStore>): void {
  describe(`${name} (ProfileStore contract)`, () => {
    const opened: ProfileStore[] = [];
    const openStore = async () => {
      const o = await open();
      opened.push(o.store);
      await o.store.ready();
      return o;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    it('an empty store has no profiles, and no keys find nothing', async () => {
      const { store } = await openStore();
      expect(await store.get(['u1', 'u2'])).toBeUndefined();
      expect(await store.get([])).toBeUndefined();
    });

    it('put then get returns the segments as written, values kept and absent ones absent', async () => {
      const { store } = await openStore();
      const segments: ProfileSegments = [{ id: 'crm:gold' }, { id: 'dp1:income', value: '0.75' }];
      await store.put('u1', segments, 60);
      expect(await store.get(['u1'])).toEqual([{ id: 'crm:gold' }, { id: 'dp1:income', value: '0.75' }]);
      expect(await store.get(['u2'])).toBeUndefined();
    });

    it('get answers with the first key, in the given order, that has a profile', async () => {
      const { store } = await openStore();
      await store.put('buyeruid', segs('a'), 60);
      await store.put('ifa', segs('c'), 60);
      expect(await store.get(['missing', 'buyeruid', 'ifa'])).toEqual(segs('a'));
      expect(await store.get(['ifa', 'buyeruid'])).toEqual(segs('c'));
      expect(await store.get(['missing', 'ifa'])).toEqual(segs('c'));
    });

    it('put replaces a profile; an empty segment list is a profile', async () => {
      const { store } = await openStore();
      await store.put('u1', segs('old-1', 'old-2'), 60);
      await store.put('u1', segs('new'), 60);
      expect(await store.get(['u1'])).toEqual(segs('new'));
      await store.put('u1', [], 60);
      await store.put('u2', segs('other'), 60);
      // An empty profile still wins over later keys: the user is known and has no segments.
      expect(await store.get(['u1', 'u2'])).toEqual([]);
    });

    it('putMany writes every entry, each with its own TTL, replacing existing ones', async () => {
      const { store } = await openStore();
      await store.put('u2', segs('before'), 60);
      await store.putMany([
        { key: 'u1', segments: segs('s1'), ttlSec: 60 },
        { key: 'u2', segments: segs('s2', 's3'), ttlSec: 120 },
        { key: 'u3', segments: [{ id: 's4', value: '7' }], ttlSec: 30 },
      ]);
      expect(await store.get(['u1'])).toEqual(segs('s1'));
      expect(await store.get(['u2'])).toEqual(segs('s2', 's3'));
      expect(await store.get(['u3'])).toEqual([{ id: 's4', value: '7' }]);
      await store.putMany([]);
      expect(await store.get(['u1'])).toEqual(segs('s1'));
    });

    it('delete removes a profile and says whether it existed', async () => {
      const { store } = await openStore();
      await store.put('u1', segs('a'), 60);
      await store.put('u2', segs('b'), 60);
      expect(await store.delete('u1')).toBe(true);
      expect(await store.delete('u1')).toBe(false);
      expect(await store.delete('never')).toBe(false);
      expect(await store.get(['u1', 'u2'])).toEqual(segs('b'));
    });

    it('profiles expire after their TTL; a rewrite restarts it', async () => {
      const { store, advance } = await openStore();
      await store.put('short', segs('s'), 1);
      await store.putMany([
        { key: 'short-many', segments: segs('m'), ttlSec: 1 },
        { key: 'long', segments: segs('l'), ttlSec: 60 },
      ]);
      await store.put('rewritten', segs('r1'), 1);
      await store.put('rewritten', segs('r2'), 60);
      expect(await store.get(['short'])).toEqual(segs('s'));
      await advance(1100);
      expect(await store.get(['short'])).toBeUndefined();
      expect(await store.get(['short-many'])).toBeUndefined();
      expect(await store.get(['short', 'short-many', 'long'])).toEqual(segs('l'));
      expect(await store.get(['rewritten'])).toEqual(segs('r2'));
      expect(await store.delete('short')).toBe(false);
    });

    it.each([0, -5, 1.5, Number.NaN])(
      'rejects ttlSec %s with a RangeError and writes nothing',
      async (ttl) => {
        const { store } = await openStore();
        expect(await rejection(store.put('u1', segs('a'), ttl))).toBeInstanceOf(RangeError);
        expect(
          await rejection(
            store.putMany([
              { key: 'u2', segments: segs('a'), ttlSec: 60 },
              { key: 'u3', segments: segs('b'), ttlSec: ttl },
            ]),
          ),
        ).toBeInstanceOf(RangeError);
        expect(await store.get(['u1', 'u2', 'u3'])).toBeUndefined();
      },
    );

    it('callers cannot change a stored profile through the arrays they pass or get back', async () => {
      const { store } = await openStore();
      const passed: ProfileSegment[] = [{ id: 'a', value: '1' }];
      await store.put('u1', passed, 60);
      passed.push({ id: 'b' });
      (passed[0] as { value: string }).value = '2';
      const got = (await store.get(['u1'])) as ProfileSegment[];
      expect(got).toEqual([{ id: 'a', value: '1' }]);
      try {
        got.push({ id: 'c' });
      } catch (err) {
        expect(err).toBeInstanceOf(TypeError);
      }
      expect(await store.get(['u1'])).toEqual([{ id: 'a', value: '1' }]);
    });

    it('rejects calls after close() with STORE_CLOSED', async () => {
      const { store } = await openStore();
      await store.put('u1', segs('a'), 60);
      await store.close();
      await store.close();
      for (const call of [
        () => store.get(['u1']),
        () => store.put('u1', segs('a'), 60),
        () => store.putMany([]),
        () => store.delete('u1'),
        () => store.ready(),
      ]) {
        expect(((await rejection(call())) as StoreError).code).toBe('STORE_CLOSED');
      }
    });
  });
}
