import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/index.ts';
import { MemoryFrequencyStore } from '../../core/store/frequency-memory-store.ts';
import type { FrequencyStore } from '../../core/store/frequency-store.ts';
import { type FrequencyCandidate, FrequencyGate, frequencyUserKey } from './frequency-gate.ts';

const hourly = (max: number) => [{ max, windowSec: 3600 }];
const li = (lineItemId: string, campaignId: string, campaignCaps = hourly(2), lineItemCaps = hourly(1)) =>
  ({ lineItemId, campaignId, campaignCaps, lineItemCaps }) satisfies FrequencyCandidate;

/** A store whose check never answers, or always fails: what a slow or dead Redis looks like to the gate. */
function brokenStore(kind: 'hangs' | 'fails'): FrequencyStore {
  const fail = () => (kind === 'hangs' ? new Promise<never>(() => {}) : Promise.reject(new Error('down')));
  return {
    check: fail,
    reserve: fail,
    release: fail,
    record: fail,
    ready: async () => {},
    close: async () => {},
  };
}

describe('FrequencyGate', () => {
  it('drops the line items whose own or campaign cap is reached, and only those', async () => {
    const clock = new ManualClock(Date.UTC(2025, 0, 1));
    const gate = new FrequencyGate({ store: new MemoryFrequencyStore(), clock });
    const a1 = li('a1', 'A');
    const a2 = li('a2', 'A');
    const b1 = li('b1', 'B');
    expect(await gate.record('u', a1, 'imp-1')).toEqual(['recorded', 'recorded']);
    expect([...(await gate.check('u', [a1, a2, b1])).cappedLineItems]).toEqual(['a1']);
    await gate.record('u', a2, 'imp-2');
    const verdict = await gate.check('u', [a1, a2, b1]);
    expect([...verdict.cappedLineItems]).toEqual(['a1', 'a2']);
    expect(verdict.degraded).toBeUndefined();
    clock.advance(3600_000);
    expect(verdict.cappedLineItems.size).toBe(2);
    expect((await gate.check('u', [a1, a2, b1])).cappedLineItems.size).toBe(0);
  });

  it('does not ask the store when no candidate has caps', async () => {
    const gate = new FrequencyGate({ store: brokenStore('fails'), clock: new ManualClock(0) });
    const verdict = await gate.check('u', [li('x', 'X', [], [])]);
    expect(verdict).toEqual({ cappedLineItems: new Set(), degraded: undefined });
  });

  it('fails closed when the store fails or is late, dropping only candidates with caps', async () => {
    for (const kind of ['fails', 'hangs'] as const) {
      const gate = new FrequencyGate({ store: brokenStore(kind), clock: new ManualClock(0), timeoutMs: 5 });
      const verdict = await gate.check('u', [li('capped', 'A'), li('free', 'B', [], [])]);
      expect([...verdict.cappedLineItems]).toEqual(['capped']);
      expect(verdict.degraded).toBe('store-failed');
    }
  });

  it('blocks capped line items for a user without a key unless told to allow them', async () => {
    const store = new MemoryFrequencyStore();
    const clock = new ManualClock(0);
    const candidates = [li('capped', 'A'), li('free', 'B', [], [])];
    const blocked = await new FrequencyGate({ store, clock }).check(undefined, candidates);
    expect([...blocked.cappedLineItems]).toEqual(['capped']);
    expect(blocked.degraded).toBe('no-user');
    const allowed = await new FrequencyGate({ store, clock, unknownUsers: 'allow' }).check(
      undefined,
      candidates,
    );
    expect(allowed.cappedLineItems.size).toBe(0);
  });

  it('counts a user under the first profile key (buyeruid before user.id before IFA)', () => {
    expect(frequencyUserKey(['h-buyeruid', 'h-id'])).toBe('h-buyeruid');
    expect(frequencyUserKey([])).toBeUndefined();
  });
});
