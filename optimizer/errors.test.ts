import { describe, expect, it } from 'vitest';
import { OptimizerErrors } from './errors.ts';

describe('OptimizerErrors', () => {
  it('keys every entry by its own unique OPT_ code, each described', () => {
    const entries = Object.entries(OptimizerErrors);
    expect(new Set(entries.map(([, d]) => d.code)).size).toBe(entries.length);
    for (const [key, def] of entries) {
      expect(def.code).toBe(key);
      expect(def.code).toMatch(/^OPT_[A-Z_]+$/);
      expect(def.description.length).toBeGreaterThan(10);
    }
  });
});
