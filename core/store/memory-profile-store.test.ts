import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.ts';
import { MemoryProfileStore } from './memory-profile-store.ts';
import { profileStoreContract } from './profile-store.case.ts';

profileStoreContract('MemoryProfileStore', async () => {
  const clock = new ManualClock(Date.UTC(2025, 0, 1));
  return {
    store: new MemoryProfileStore({ clock }),
    advance: async (ms) => clock.advance(ms),
  };
});

describe('MemoryProfileStore', () => {
  it('keeps a profile for exactly ttlSec seconds of the injected clock', async () => {
    const clock = new ManualClock(1_000_000);
    const store = new MemoryProfileStore({ clock });
    await store.put('u1', [{ id: 'a' }], 10);
    clock.advance(9_999);
    expect(await store.get(['u1'])).toEqual([{ id: 'a' }]);
    clock.advance(1);
    expect(await store.get(['u1'])).toBeUndefined();
    // Met while expired, so dropped from memory too.
    expect(store.size).toBe(0);
  });

  it('holds at most maxEntries, evicting the least recently written profile', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryProfileStore({ clock, maxEntries: 3 });
    await store.putMany([
      { key: 'u1', segments: [{ id: 'a' }], ttlSec: 60 },
      { key: 'u2', segments: [{ id: 'b' }], ttlSec: 60 },
      { key: 'u3', segments: [{ id: 'c' }], ttlSec: 60 },
    ]);
    // Rewriting u1 makes u2 the oldest.
    await store.put('u1', [{ id: 'a2' }], 60);
    await store.put('u4', [{ id: 'd' }], 60);
    expect(store.size).toBe(3);
    expect(await store.get(['u2'])).toBeUndefined();
    expect(await store.get(['u1'])).toEqual([{ id: 'a2' }]);
    expect(await store.get(['u3'])).toEqual([{ id: 'c' }]);
    expect(await store.get(['u4'])).toEqual([{ id: 'd' }]);
  });

  it('refuses a maxEntries that is not a positive integer', () => {
    const clock = new ManualClock(0);
    expect(() => new MemoryProfileStore({ clock, maxEntries: 0 })).toThrow(RangeError);
    expect(() => new MemoryProfileStore({ clock, maxEntries: 2.5 })).toThrow(RangeError);
  });
});
