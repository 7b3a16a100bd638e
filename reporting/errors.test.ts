import { describe, expect, it } from 'vitest';
import { ReportingErrors } from './errors.ts';

describe('ReportingErrors', () => {
  it('keys every error by its own unique code, prefixed CH_, SINK_, TRACK_ or REPORT_, with a description', () => {
    const entries = Object.entries(ReportingErrors);
    expect(new Set(entries.map(([, d]) => d.code)).size).toBe(entries.length);
    for (const [key, def] of entries) {
      expect(def.code).toBe(key);
      expect(key).toMatch(/^(CH|SINK|TRACK|REPORT)_[A-Z_]+$/);
      expect(def.description.length, key).toBeGreaterThan(10);
    }
  });
});
