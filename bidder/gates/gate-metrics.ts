import { Gauge, type Registry } from 'prom-client';
import { BUDGET_DENIAL_REASONS } from '../budget/budget-gate.ts';
import type { BidGates } from './bid-gates.ts';

/**
 * Budget, pacing and frequency metrics, read from the gates when /metrics is scraped (no work on
 * the bid path). Counters are exported as gauges of monotonic totals because their source of truth
 * is the gates' own counters; `rate()` works on them all the same.
 */
export function registerGateMetrics(registry: Registry, gates: BidGates): void {
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        collect(this);
      },
    });
  gauge(
    'outbid_budget_denied_total',
    'Bids the budget gate turned away, by reason (exhausted, store_down, pending, unknown_campaign)',
    ['reason'],
    (g) => {
      const c = gates.budgetCounters();
      for (const r of BUDGET_DENIAL_REASONS) g.labels(r).set(c.denied[r]);
    },
  );
  gauge('outbid_budget_reserved_total', 'Budget reservations made for bids sent', [], (g) => {
    g.set(gates.budgetCounters().reserved);
  });
  gauge(
    'outbid_budget_settled_total',
    'Billing settlements by store answer (recorded, duplicate, queued)',
    ['outcome'],
    (g) => {
      const c = gates.budgetCounters();
      for (const [k, v] of Object.entries(c.settled)) g.labels(k).set(v);
    },
  );
  gauge('outbid_budget_lease_calls_total', 'Lease calls to the budget store (Redis round trips)', [], (g) => {
    g.set(gates.budgetCounters().leaseCalls);
  });
  gauge('outbid_budget_lease_failures_total', 'Lease calls that failed or timed out', [], (g) => {
    g.set(gates.budgetCounters().leaseFailures);
  });
  gauge(
    'outbid_budget_expired_total',
    'Reservations that expired without billing or loss notice',
    [],
    (g) => {
      g.set(gates.budgetCounters().expired);
    },
  );
  gauge('outbid_budget_store_down', '1 while the last budget-store call failed or timed out', [], (g) => {
    g.set(gates.budget.storeDown ? 1 : 0);
  });
  gauge('outbid_budget_queued_settlements', 'Billing settlements waiting for the budget store', [], (g) => {
    g.set(gates.budget.queuedSettlements);
  });
  gauge(
    'outbid_budget_available_micros',
    'Leased and unreserved budget held by this instance, by budget (campaign, li:<id>, adv:<id>)',
    ['budget'],
    (g) => {
      for (const [id, b] of Object.entries(gates.balances())) g.labels(id).set(b.availableMicros);
    },
  );
  gauge(
    'outbid_frequency_total',
    'Frequency gate events (checks, capped, degraded, holds, holdsRefused, holdFailures, recorded, recordFailures)',
    ['event'],
    (g) => {
      for (const [k, v] of Object.entries(gates.frequencyCounters())) g.labels(k).set(v);
    },
  );
  const pacing = (
    name: string,
    help: string,
    pick: (s: ReturnType<BidGates['pacingStates']>[string]) => number,
  ) =>
    gauge(name, help, ['campaign'], (g) => {
      for (const [id, s] of Object.entries(gates.pacingStates())) g.labels(id).set(pick(s));
    });
  pacing(
    'outbid_pacing_throttle_rate',
    'Share of opportunities a campaign takes part in (0–1)',
    (s) => s.throttleRate,
  );
  pacing(
    'outbid_pacing_spent_micros',
    "Today's spend in the campaign's time zone (all instances)",
    (s) => s.spentMicros,
  );
  pacing(
    'outbid_pacing_target_micros',
    'What the target curve says should be spent by now today',
    (s) => s.targetSpentMicros,
  );
  pacing('outbid_pacing_budget_micros', 'Daily budget', (s) => s.budgetMicros);
}
