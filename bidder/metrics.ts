import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { NoBidReason, type NoBidReasonName } from '../core/index.ts';

/** The bidder's Prometheus metrics, on a registry of its own (so tests can build many apps). */
export interface BidderMetrics {
  readonly registry: Registry;
  /** Counts a bid request by outcome (`bid`, `nobid`, `invalid`) and reason. */
  request(outcome: 'bid' | 'nobid' | 'invalid', reason: string, seconds: number): void;
  readonly bids: Counter<'mtype'>;
  readonly notices: Counter<'kind' | 'result'>;
  readonly snapshotVersion: Gauge;
  readonly workerFailures: Counter;
  readonly profileLookups: Counter<'result'>;
  readonly activeLineItems: Gauge;
}

/** Creates the metrics. `defaults` adds Node process metrics (off in tests to keep them cheap). */
export function createMetrics(defaults: boolean): BidderMetrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'outbid_bid_requests_total',
    help: 'Bid requests by outcome (bid, nobid, invalid) and reason (no-bid reason name or error code)',
    labelNames: ['outcome', 'reason'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'outbid_bid_duration_seconds',
    help: 'Time from request received to response ready, by outcome',
    labelNames: ['outcome'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  // Pre-create every no-bid series so dashboards see zeros, not gaps, and the hot path skips label hashing.
  const children = new Map<string, { count: Counter.Internal }>();
  for (const name of Object.keys(NoBidReason) as NoBidReasonName[]) {
    children.set(`nobid:${name}`, { count: requests.labels('nobid', name) });
  }
  children.set('bid:', { count: requests.labels('bid', '') });
  const latencyBy = {
    bid: latency.labels('bid'),
    nobid: latency.labels('nobid'),
    invalid: latency.labels('invalid'),
  };
  return {
    registry,
    request(outcome, reason, seconds) {
      const key = `${outcome}:${reason}`;
      let child = children.get(key);
      if (!child) {
        child = { count: requests.labels(outcome, reason) };
        children.set(key, child);
      }
      child.count.inc();
      latencyBy[outcome].observe(seconds);
    },
    bids: new Counter({
      name: 'outbid_bids_total',
      help: 'Bids sent, by markup type',
      labelNames: ['mtype'],
      registers: [registry],
    }),
    notices: new Counter({
      name: 'outbid_notices_total',
      help: 'Win/billing/loss notices by result (ok, duplicate, rejected)',
      labelNames: ['kind', 'result'],
      registers: [registry],
    }),
    profileLookups: new Counter({
      name: 'outbid_profile_lookups_total',
      help: 'Profile-store lookups on the bid path by result (hit, miss, timeout, error)',
      labelNames: ['result'],
      registers: [registry],
    }),
    workerFailures: new Counter({
      name: 'outbid_worker_failures_total',
      help: 'Bid requests a scoring worker failed (threw, crashed or timed out) and that were answered with a no-bid',
      registers: [registry],
    }),
    snapshotVersion: new Gauge({
      name: 'outbid_campaign_version',
      help: 'Version of the campaign snapshot in use',
      registers: [registry],
    }),
    activeLineItems: new Gauge({
      name: 'outbid_active_line_items',
      help: 'Line items in the bid index',
      registers: [registry],
    }),
  };
}
