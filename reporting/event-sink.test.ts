import { describe, expect, it } from 'vitest';
import { MemoryEventSink, type OutbidEvent } from './event-sink.ts';

const win = (i: number): OutbidEvent => ({
  type: 'win',
  ts: i,
  bidId: `b${i}`,
  impId: '1',
  lineItemId: 'li',
  campaignId: 'c',
  creativeId: 'cr',
  clearingMicros: i,
  lossCode: undefined,
});

describe('MemoryEventSink', () => {
  it('keeps the newest events in order and counts the dropped ones', () => {
    const sink = new MemoryEventSink(3);
    for (let i = 1; i <= 5; i++) sink.emit(win(i));
    expect(sink.events.map((e) => e.ts)).toEqual([3, 4, 5]);
    expect(sink.dropped).toBe(2);
    expect(sink.ofType('win')).toHaveLength(3);
    expect(sink.ofType('billing')).toEqual([]);
  });

  it('holds fewer events than its capacity in order', () => {
    const sink = new MemoryEventSink(10);
    sink.emit(win(1));
    sink.emit(win(2));
    expect(sink.events.map((e) => e.ts)).toEqual([1, 2]);
    expect(sink.dropped).toBe(0);
  });

  it('rejects a capacity below one', () => {
    expect(() => new MemoryEventSink(0)).toThrow(RangeError);
  });
});
