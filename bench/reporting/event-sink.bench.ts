/**
 * Cost of `MemoryEventSink.emit` once the sink is full (every emit then drops the oldest event),
 * by capacity. The bid route emits one event per bid, so this is paid on the hot path.
 */
import { MemoryEventSink, type OutbidEvent } from '../../reporting/index.ts';
import { fmt, markdownTable } from '../support/table.ts';
import { DEFAULT_BUDGET, type LoopBudget, nsPerCall } from '../support/time-loop.ts';

/** Capacities measured: the bench server's, ten times less, and the class default used by `serve`. */
const CAPACITIES = [1_000, 10_000, 100_000] as const;

function bidEvent(n: number): OutbidEvent {
  return {
    type: 'bid',
    ts: n,
    bidId: `b-${n}`,
    requestId: 'r',
    impId: '1',
    exchange: 'default',
    lineItemId: 'li',
    campaignId: 'cmp',
    creativeId: 'cr',
    priceMicros: 1_500_000,
    currency: 'USD',
    dealId: undefined,
    pctr: undefined,
    pcvr: undefined,
  };
}

/** Runs the event-sink benchmark and returns its markdown section. */
export function runEventSinkBench(budget: LoopBudget = DEFAULT_BUDGET): string {
  const rows: string[][] = [];
  let base = 0;
  for (const capacity of CAPACITIES) {
    const sink = new MemoryEventSink(capacity);
    let n = 0;
    while (n < capacity) sink.emit(bidEvent(n++));
    const ns = nsPerCall(() => sink.emit(bidEvent(n++)), budget);
    if (capacity === CAPACITIES[0]) base = ns;
    rows.push([fmt(capacity), fmt(ns), `${fmt(ns / base, 1)}×`]);
  }
  return [
    '### Reporting: `MemoryEventSink.emit()` when full',
    '',
    markdownTable(['capacity', 'ns/emit', 'vs 1,000'], rows),
  ].join('\n');
}
