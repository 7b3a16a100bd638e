import { describe, expect, it } from 'vitest';
import { NoticeLedger } from './billing-ledger.ts';

describe('NoticeLedger', () => {
  it('admits a key once within its TTL and again after it expires', () => {
    const l = new NoticeLedger(1000);
    expect(l.firstTime('billing:a', 0)).toBe(true);
    expect(l.firstTime('billing:a', 999)).toBe(false);
    expect(l.firstTime('win:a', 999)).toBe(true);
    expect(l.firstTime('billing:a', 1000)).toBe(true);
  });

  it('sweeps expired entries as it goes, so memory stays bounded', () => {
    const l = new NoticeLedger(10);
    for (let i = 0; i < 1000; i++) l.firstTime(`k${i}`, i);
    expect(l.size).toBeLessThanOrEqual(11);
  });
});
