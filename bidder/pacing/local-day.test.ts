import { describe, expect, it } from 'vitest';
import { localDay } from './local-day.ts';

const iso = (ms: number) => new Date(ms).toISOString();

describe('localDay', () => {
  it('runs from local midnight to local midnight in 24 hour slots on an ordinary day', () => {
    const day = localDay('Asia/Kolkata', Date.UTC(2025, 5, 10, 0));
    expect(day.date).toBe('2025-06-10');
    expect(iso(day.startMs)).toBe('2025-06-09T18:30:00.000Z');
    expect(iso(day.endMs)).toBe('2025-06-10T18:30:00.000Z');
    expect(day.slots.map((s) => s.hour)).toEqual(Array.from({ length: 24 }, (_, h) => h));
  });

  it('has 23 slots on a spring-forward day and 25 on a fall-back day, labelled by local hour', () => {
    const spring = localDay('America/New_York', Date.UTC(2025, 2, 9, 12));
    expect([iso(spring.startMs), iso(spring.endMs)]).toEqual([
      '2025-03-09T05:00:00.000Z',
      '2025-03-10T04:00:00.000Z',
    ]);
    expect(spring.slots.map((s) => s.hour).slice(0, 4)).toEqual([0, 1, 3, 4]);
    expect(spring.slots).toHaveLength(23);
    const fall = localDay('America/New_York', Date.UTC(2025, 10, 2, 12));
    expect([iso(fall.startMs), iso(fall.endMs)]).toEqual([
      '2025-11-02T04:00:00.000Z',
      '2025-11-03T05:00:00.000Z',
    ]);
    expect(fall.slots.map((s) => s.hour).slice(0, 4)).toEqual([0, 1, 1, 2]);
    expect(fall.slots).toHaveLength(25);
  });

  it('starts a day whose midnight does not exist at its first instant (Santiago, DST at 00:00)', () => {
    const day = localDay('America/Santiago', Date.UTC(2024, 8, 8, 12));
    expect(day.date).toBe('2024-09-08');
    expect(iso(day.startMs)).toBe('2024-09-08T04:00:00.000Z');
    expect(day.slots[0]?.hour).toBe(1);
    expect(day.slots).toHaveLength(23);
  });

  it('gives every instant of a day the same day, and the next day starts where it ends', () => {
    const day = localDay('Europe/Berlin', Date.UTC(2025, 2, 30, 12));
    expect(localDay('Europe/Berlin', day.startMs).startMs).toBe(day.startMs);
    expect(localDay('Europe/Berlin', day.endMs - 1).startMs).toBe(day.startMs);
    expect(localDay('Europe/Berlin', day.endMs).startMs).toBe(day.endMs);
  });
});
