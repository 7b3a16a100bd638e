import { describe, expect, it } from 'vitest';
import { BudgetDayKeys, budgetDayKey } from './budget-day-key.ts';

describe('budgetDayKey', () => {
  it('is the calendar day in the campaign’s zone, changing at local midnight', () => {
    expect(budgetDayKey('UTC', Date.UTC(2025, 2, 1, 23, 59, 59, 999))).toBe('2025-03-01');
    expect(budgetDayKey('UTC', Date.UTC(2025, 2, 2))).toBe('2025-03-02');
    // New York is UTC−5 in winter and UTC−4 after the DST change of 9 March 2025.
    expect(budgetDayKey('America/New_York', Date.UTC(2025, 2, 2, 4, 59, 59, 999))).toBe('2025-03-01');
    expect(budgetDayKey('America/New_York', Date.UTC(2025, 2, 2, 5))).toBe('2025-03-02');
    expect(budgetDayKey('America/New_York', Date.UTC(2025, 2, 10, 3, 59))).toBe('2025-03-09');
    expect(budgetDayKey('America/New_York', Date.UTC(2025, 2, 10, 4))).toBe('2025-03-10');
    // Kathmandu is UTC+5:45: its midnight falls on a quarter hour.
    expect(budgetDayKey('Asia/Kathmandu', Date.UTC(2025, 2, 1, 18, 14, 59))).toBe('2025-03-01');
    expect(budgetDayKey('Asia/Kathmandu', Date.UTC(2025, 2, 1, 18, 15))).toBe('2025-03-02');
  });

  it('gives the same answers memoised per 15-minute bucket', () => {
    const keys = new BudgetDayKeys();
    for (const zone of ['UTC', 'America/New_York', 'Asia/Kathmandu', 'Pacific/Chatham']) {
      for (let t = Date.UTC(2025, 2, 1); t < Date.UTC(2025, 2, 12); t += 7 * 60_000) {
        expect(keys.at(zone, t), `${zone} ${new Date(t).toISOString()}`).toBe(budgetDayKey(zone, t));
      }
    }
  });
});
